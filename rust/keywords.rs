//! Keywords as written in a spec, compiled: each folded and parsed into a needle (its core
//! and which ends need a word boundary), the distinct cores collected as patterns, each with
//! the keywords or sequence parts it stands for, then sent to where they are looked for. The
//! structure's keywords join them, numbered after the others. The Python twin is
//! `parse_needle` and the constructor of `PyScorer` in `_pyscorer.py`.

use std::collections::HashMap;

use crate::spec::SpecError;
use crate::tables::{KEYWORD_SETS, K_MULTISTEP, STRUCTURE_SETS};
use crate::text::{self, Class};
use crate::words::{Shape, Target};

/// Separates the two parts of a sequence keyword "A ... B".
pub const SEQUENCE_SEP: &str = " ... ";

/// One keyword as written, parsed: folded text and which ends need a word boundary.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Needle {
    pub core: String,
    pub need_left: bool,
    pub need_right: bool,
}

/// Folds and normalises one keyword; an error when fewer than `shortest` characters are left
/// (2 for keywords, 1 for the structure's: they hold CJK and Hangul words of one character).
pub fn parse_needle(raw: &str, shortest: usize) -> Result<Needle, String> {
    let folded: String = raw.chars().map(text::fold).collect();
    let normal = folded
        .split(' ')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let (left_star, rest) = match normal.strip_prefix('*') {
        Some(r) => (true, r),
        None => (false, normal.as_str()),
    };
    let (right_star, core) = match rest.strip_suffix('*') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let core = core.trim_matches(' ');
    if core.chars().count() < shortest {
        let plural = if shortest > 1 { "s" } else { "" };
        return Err(format!(
            "{raw:?} is shorter than {shortest} character{plural}"
        ));
    }
    let first = core.chars().next().map(text::class);
    let last = core.chars().next_back().map(text::class);
    Ok(Needle {
        core: core.to_string(),
        need_left: !left_star && first == Some(Class::Word),
        need_right: !right_star && last == Some(Class::Word),
    })
}

/// What an occurrence of a pattern counts for, and the boundaries it needs.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub target: Target,
    pub need_left: bool,
    pub need_right: bool,
}

/// Distinct folded cores, each with the entries it stands for.
pub type Patterns = Vec<(String, Vec<Entry>)>;

/// `Keywords::keyword_set` of a structure keyword (which belongs to no keyword set).
pub const NO_SET: u8 = u8::MAX;

/// Every keyword of a spec, compiled.
#[derive(Default)]
pub struct Keywords {
    pub patterns: Patterns,
    /// Keyword id -> index into KEYWORD_SETS (`NO_SET` for the structure's keywords, whose
    /// ids follow the others').
    pub keyword_set: Vec<u8>,
    /// Structure keyword (id minus the number of other keywords) -> index into
    /// STRUCTURE_SETS.
    pub structure_set: Vec<u8>,
    /// (first part, second part, keyword id) of each "A ... B" entry.
    pub sequences: Vec<(u32, u32, u32)>,
    /// Keyword id -> its folded core, `None` for sequences and structure keywords (which
    /// subsume nothing).
    pub cores: Vec<Option<String>>,
    /// Distinct cores of the keyword sets' keywords (before the structure's join them).
    pub n_keyword_patterns: usize,
    /// Sequence part ids by needle.
    parts: HashMap<Needle, u32>,
    pattern_ids: HashMap<String, usize>,
}

impl Keywords {
    /// Compiles the keyword sets of a spec, then the structure's (each keyword a list of forms
    /// that count as one); keyword ids number them in `KEYWORD_SETS` order, then in
    /// `STRUCTURE_SETS` order.
    pub fn compile(
        sets: &HashMap<String, Vec<String>>,
        structure: Option<&HashMap<String, Vec<Vec<String>>>>,
    ) -> Result<Self, SpecError> {
        for key in sets.keys() {
            if !KEYWORD_SETS.contains(&key.as_str()) {
                return Err(SpecError(format!("keywords: unknown keyword set {key:?}")));
            }
        }
        let mut k = Keywords::default();
        for (set_index, set) in KEYWORD_SETS.iter().enumerate() {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for raw in sets.get(*set).map_or(&[][..], Vec::as_slice) {
                let err = |m: String| SpecError(format!("keywords.{set}: {m}"));
                let key = k.add_keyword(raw, set_index).map_err(err)?;
                if let Some(previous) = seen.insert(key, raw) {
                    return Err(err(format!(
                        "{raw:?} is listed twice (also as {previous:?})"
                    )));
                }
            }
        }
        k.n_keyword_patterns = k.patterns.len();
        if let Some(structure) = structure {
            k.add_structure(structure)?;
        }
        Ok(k)
    }

    fn add_structure(&mut self, sets: &HashMap<String, Vec<Vec<String>>>) -> Result<(), SpecError> {
        for key in sets.keys() {
            if !STRUCTURE_SETS.contains(&key.as_str()) {
                return Err(SpecError(format!("structure: unknown keyword set {key:?}")));
            }
        }
        for (set_index, set) in STRUCTURE_SETS.iter().enumerate() {
            for forms in sets.get(*set).map_or(&[][..], Vec::as_slice) {
                let id = self.keyword_set.len() as u32;
                self.keyword_set.push(NO_SET);
                self.structure_set.push(set_index as u8);
                self.cores.push(None);
                for raw in forms {
                    let needle = parse_needle(raw, 1)
                        .map_err(|m| SpecError(format!("structure.{set}: {m}")))?;
                    self.add(&needle, Target::Keyword(id));
                }
            }
        }
        Ok(())
    }

    /// The number of distinct sequence parts.
    pub fn n_parts(&self) -> usize {
        self.parts.len()
    }

    /// Adds one keyword of set `set_index`; returns what makes it distinct within its set.
    fn add_keyword(&mut self, raw: &str, set_index: usize) -> Result<String, String> {
        let id = self.keyword_set.len() as u32;
        self.keyword_set.push(set_index as u8);
        if raw.contains(SEQUENCE_SEP) {
            self.cores.push(None);
            return self.add_sequence(raw, set_index, id);
        }
        let needle = parse_needle(raw, 2)?;
        self.add(&needle, Target::Keyword(id));
        self.cores.push(Some(needle.core.clone()));
        Ok(needle.core)
    }

    fn add_sequence(&mut self, raw: &str, set_index: usize, id: u32) -> Result<String, String> {
        if set_index != K_MULTISTEP {
            return Err(format!(
                "{raw:?}: sequences \"A ... B\" are only allowed in multiStepPatterns"
            ));
        }
        let halves: Vec<&str> = raw.split(SEQUENCE_SEP).collect();
        if halves.len() != 2 {
            return Err(format!("{raw:?}: a sequence has exactly two parts"));
        }
        let mut ids = [0u32; 2];
        let mut cores = Vec::new();
        for (k, half) in halves.iter().enumerate() {
            let needle = parse_needle(half, 2)?;
            ids[k] = match self.parts.get(&needle) {
                Some(&part) => part,
                None => {
                    let part = self.parts.len() as u32;
                    self.parts.insert(needle.clone(), part);
                    self.add(&needle, Target::SeqPart(part));
                    part
                }
            };
            cores.push(needle.core);
        }
        self.sequences.push((ids[0], ids[1], id));
        Ok(cores.join(SEQUENCE_SEP))
    }

    fn add(&mut self, needle: &Needle, target: Target) {
        let patterns = &mut self.patterns;
        let pid = *self
            .pattern_ids
            .entry(needle.core.clone())
            .or_insert_with(|| {
                patterns.push((needle.core.clone(), Vec::new()));
                patterns.len() - 1
            });
        patterns[pid].1.push(Entry {
            target,
            need_left: needle.need_left,
            need_right: needle.need_right,
        });
    }
}

/// Where the entries of the patterns are looked for: those that must start at a word
/// boundary word by word (`WordIndex`), the others by automaton or prefix, ASCII patterns
/// apart from the others (which cannot occur in ASCII text).
#[derive(Default)]
pub struct Routes {
    pub free_ascii: Patterns,
    pub free_other: Patterns,
    /// (core, shape, need_right, target) of each word-anchored entry.
    pub word_items: Vec<(String, Shape, bool, Target)>,
}

pub fn route(patterns: Patterns) -> Routes {
    let mut routes = Routes::default();
    for (core, entries) in patterns {
        let (anchored, free): (Vec<Entry>, Vec<Entry>) =
            entries.into_iter().partition(|e| e.need_left);
        if !free.is_empty() {
            let bank = if core.is_ascii() {
                &mut routes.free_ascii
            } else {
                &mut routes.free_other
            };
            bank.push((core.clone(), free));
        }
        if anchored.is_empty() {
            continue;
        }
        // need_left implies a word character first: split off the leading word.
        let lead = core
            .char_indices()
            .find(|&(_, c)| text::class(c) != Class::Word)
            .map_or(core.len(), |(i, _)| i);
        for e in anchored {
            let shape = match (lead == core.len(), e.need_right) {
                (true, true) => Shape::Exact,
                (true, false) => Shape::Stem,
                (false, _) => Shape::Phrase(lead),
            };
            routes
                .word_items
                .push((core.clone(), shape, e.need_right, e.target));
        }
    }
    routes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles() {
        let n = parse_needle("  Step  By Step ", 2).unwrap();
        assert_eq!(
            (n.core.as_str(), n.need_left, n.need_right),
            ("step by step", true, true)
        );
        let n = parse_needle("deriv*", 2).unwrap();
        assert_eq!((n.need_left, n.need_right), (true, false));
        let n = parse_needle("证明", 2).unwrap();
        assert_eq!((n.need_left, n.need_right), (false, false));
        assert!(parse_needle("*a", 2).is_err());
        let n = parse_needle("몇*", 1).unwrap();
        assert_eq!((n.need_left, n.need_right), (true, false));
        assert!(parse_needle(" * ", 1).is_err());
    }
}
