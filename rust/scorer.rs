//! The prompt scorer: keyword sets compiled once into Aho-Corasick automata, then one linear
//! pass per prompt, the 15 dimension values, the weighted score and the tier rules.
//! Plain Rust: the PyO3 binding lives in `binding.rs`; `_pyscorer.py` is the Python twin.
//!
//! Keywords that must start at a word boundary (nearly all) are found word by word
//! (`words.rs`): each distinct word of the text is looked up once. The few others (`->`,
//! `*suffix`, CJK, ...) go to Aho-Corasick automata, split by alphabet: the ASCII ones always
//! run, the others only on non-ASCII text (a keyword with a non-ASCII character cannot occur in
//! ASCII text). Word boundaries are checked on each reported occurrence.

use std::collections::HashMap;
use std::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde::Deserialize;

use crate::text::{self, Class};
use crate::words::{self, Parts, Scan, Shape, Target, WordIndex};

/// The 15 weighted dimensions, in the order of `ScoreOutput::raw`.
pub const DIMENSIONS: [&str; 15] = [
    "reasoningMarkers",
    "codePresence",
    "multiStepPatterns",
    "technicalTerms",
    "tokenCount",
    "creativeMarkers",
    "questionComplexity",
    "constraintCount",
    "agenticTask",
    "imperativeVerbs",
    "outputFormat",
    "referenceComplexity",
    "domainSpecificity",
    "simpleIndicators",
    "negationComplexity",
];

/// Keyword sets in keyword-id order: every dimension but tokenCount, then the sets that only
/// feed rules (structured output in the system prompt, hard asks, proof asks) and the
/// follow-up and topic-shift markers the conversation policy reads (they never change the
/// score).
pub const KEYWORD_SETS: [&str; 19] = [
    "reasoningMarkers",
    "codePresence",
    "multiStepPatterns",
    "technicalTerms",
    "creativeMarkers",
    "questionComplexity",
    "constraintCount",
    "agenticTask",
    "imperativeVerbs",
    "outputFormat",
    "referenceComplexity",
    "domainSpecificity",
    "simpleIndicators",
    "negationComplexity",
    "structuredOutput",
    "hardAsks",
    "proofAsks",
    "continuations",
    "topicShifts",
];

pub const TIERS: [&str; 4] = ["SIMPLE", "MEDIUM", "COMPLEX", "REASONING"];

/// Which rule decided the tier (`ScoreOutput::rule`).
pub const RULES: [&str; 8] = [
    "score",
    "ambiguous",
    "reasoning_markers",
    "long_context",
    "hard_ask",
    "structured_output",
    "proof_ask",
    "agentic_steps",
];

// Indices into DIMENSIONS...
const D_REASONING: usize = 0;
const D_MULTISTEP: usize = 2;
const D_TOKENS: usize = 4;
const D_QUESTION: usize = 6;
const D_SIMPLE: usize = 13;
// ...and into KEYWORD_SETS.
const K_REASONING: usize = 0;
const K_CODE: usize = 1;
const K_MULTISTEP: usize = 2;
const K_TECHNICAL: usize = 3;
const K_AGENTIC: usize = 7;
const K_DOMAIN: usize = 11;
const K_STRUCTURED: usize = 14;
const K_HARD: usize = 15;
const K_PROOF: usize = 16;
const SEQUENCE_SEP: &str = " ... ";

/// A configuration error; the binding raises it as `smart_llm_router.ConfigError`.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError(pub String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

/// The compiled scoring configuration, as produced by `smart_llm_router.scoring.compile_spec`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub weights: HashMap<String, f64>,
    pub saturation: HashMap<String, f64>,
    pub keywords: HashMap<String, Vec<String>>,
    pub boundaries: [f64; 3],
    pub token_scale: [f64; 3],
    pub confidence_steepness: f64,
    pub ambiguity_threshold: f64,
    pub ambiguous_tier: String,
    pub override_confidence: f64,
    pub reasoning_min_markers: u32,
    pub long_context_tokens: f64,
    pub word_problem_min_tokens: f64,
    pub structured_output_floor: String,
    pub hard_ask_floor: String,
    pub proof_ask_floor: String,
    pub agentic_steps_min: u32,
    pub agentic_steps_floor: String,
}

/// One keyword as written, parsed: folded text and which ends need a word boundary.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Needle {
    core: String,
    need_left: bool,
    need_right: bool,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    target: Target,
    need_left: bool,
    need_right: bool,
}

type Patterns = Vec<(String, Vec<Entry>)>;

fn build_error(e: impl fmt::Display) -> SpecError {
    SpecError(format!("keywords: cannot build the automaton: {e}"))
}

/// Patterns found with Aho-Corasick and, per pattern, the keywords (or sequence parts) it
/// stands for.
struct Bank {
    search: Search,
    owners: Vec<Vec<Entry>>,
}

/// Up to this many patterns, a bank finds occurrence starts with a leftmost search: its
/// prefilter (a vectorised "packed" searcher) skips most of the text, which an overlapping
/// search (no packed prefilter) cannot.
const FEW_PATTERNS: usize = 48;

enum Search {
    /// Every occurrence, by an overlapping search.
    Overlapping(AhoCorasick),
    /// The leftmost occurrence start at or after a position, then an anchored walk of `walk`
    /// from there for every pattern starting at it.
    Leftmost {
        find: AhoCorasick,
        walk: aho_corasick::dfa::DFA,
    },
    /// Patterns that all start with a multi-byte character: a hash lookup of the first bytes
    /// at each character start.
    Prefix(Prefix),
}

/// Occurrences found by their first `k` bytes: at each candidate start (a lead byte, found a
/// word at a time), a bit filter then a hash table of those bytes give the patterns to
/// compare in full. Compact (fits the L1 cache, unlike an automaton of hundreds of CJK
/// patterns, which misses the cache on most bytes), and the work per start is bounded by the
/// patterns sharing its first `k` bytes.
struct Prefix {
    /// Candidate starts are bytes with these top bits set (0b11 or 0b111).
    top: u32,
    first: [bool; 256],
    /// The first `k` bytes (up to 8) of the shortest pattern, and their mask.
    k: usize,
    key_mask: u64,
    filter: Vec<u64>,
    /// (first k bytes, group + 1), 0 when empty.
    slots: Vec<(u64, u32)>,
    groups: Vec<Vec<PrefixPattern>>,
}

/// A pattern: its first 16 bytes (zero-padded) and their mask, the bytes after them.
struct PrefixPattern {
    head: u128,
    head_mask: u128,
    tail: Box<[u8]>,
    len: usize,
    id: u32,
}

const PREFIX_MUL: u64 = 0x9E37_79B9_7F4A_7C15;
const FILTER_BITS: u32 = 16;

/// The 16 bytes of `buf` at `at` (readable for `at <= n` in a padded buffer).
#[inline(always)]
fn load16(buf: &[u8], at: usize) -> u128 {
    u128::from_le_bytes(buf[at..at + 16].try_into().unwrap_or_default())
}

impl Prefix {
    /// `None` unless every pattern starts with a multi-byte character.
    fn build(cores: &[String]) -> Option<Prefix> {
        let firsts = cores
            .iter()
            .map(|c| c.as_bytes().first().copied().unwrap_or(0));
        let low = firsts.min()?;
        if low < 0xC0 {
            return None;
        }
        let k = cores.iter().map(|c| c.len()).min()?.min(8);
        let key_mask = if k == 8 { !0 } else { (1u64 << (8 * k)) - 1 };
        let mut first = [false; 256];
        let mut groups: Vec<Vec<PrefixPattern>> = Vec::new();
        let mut ids: HashMap<u64, usize> = HashMap::new();
        for (pid, core) in cores.iter().enumerate() {
            let b = core.as_bytes();
            first[b[0] as usize] = true;
            let buf = words::padded(b);
            let key = load16(&buf, 0) as u64 & key_mask;
            let g = *ids.entry(key).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            let head_len = b.len().min(16);
            let head_mask = if head_len == 16 {
                !0
            } else {
                (1u128 << (8 * head_len)) - 1
            };
            groups[g].push(PrefixPattern {
                head: load16(&buf, 0) & head_mask,
                head_mask,
                tail: b[head_len..].into(),
                len: b.len(),
                id: pid as u32,
            });
        }
        let cap = (ids.len() * 4).next_power_of_two().max(16);
        let mut slots = vec![(0u64, 0u32); cap];
        let mut filter = vec![0u64; (1 << FILTER_BITS) / 64];
        for (&key, &g) in &ids {
            let h = key.wrapping_mul(PREFIX_MUL);
            let f = (h >> (64 - FILTER_BITS)) as usize;
            filter[f / 64] |= 1 << (f % 64);
            let mut i = (h >> 24) as usize & (cap - 1);
            while slots[i].1 != 0 {
                i = (i + 1) & (cap - 1);
            }
            slots[i] = (key, g as u32 + 1);
        }
        Some(Prefix {
            top: if low >= 0xE0 { 3 } else { 2 },
            first,
            k,
            key_mask,
            filter,
            slots,
            groups,
        })
    }

    /// Patterns starting at `at` of `buf[..n]` (followed by `words::PAD` readable bytes).
    #[inline(always)]
    fn at(&self, buf: &[u8], n: usize, at: usize, f: &mut impl FnMut(usize, usize, usize)) {
        if !self.first[buf[at] as usize] || at + self.k > n {
            return;
        }
        let head = load16(buf, at);
        let key = head as u64 & self.key_mask;
        let h = key.wrapping_mul(PREFIX_MUL);
        let b = (h >> (64 - FILTER_BITS)) as usize;
        if self.filter[b / 64] >> (b % 64) & 1 == 0 {
            return;
        }
        let mask = self.slots.len() - 1;
        let mut i = (h >> 24) as usize & mask;
        loop {
            let (sk, g) = self.slots[i];
            if g == 0 {
                return;
            }
            if sk == key {
                for p in &self.groups[g as usize - 1] {
                    if at + p.len <= n
                        && head & p.head_mask == p.head
                        && (p.tail.is_empty() || buf[at + 16..at + p.len] == *p.tail)
                    {
                        f(p.id as usize, at, at + p.len);
                    }
                }
                return;
            }
            i = (i + 1) & mask;
        }
    }

    fn for_each(&self, buf: &[u8], n: usize, mut f: impl FnMut(usize, usize, usize)) {
        assert!(buf.len() >= n + words::PAD);
        let mut chunks = buf[..n].chunks_exact(8);
        let mut base = 0;
        for c in &mut chunks {
            let x = u64::from_le_bytes(c.try_into().unwrap_or_default());
            let mut m = x & (x << 1) & 0x8080_8080_8080_8080;
            if self.top == 3 {
                m &= x << 2;
            }
            while m != 0 {
                self.at(buf, n, base + (m.trailing_zeros() / 8) as usize, &mut f);
                m &= m - 1;
            }
            base += 8;
        }
        for i in base..n {
            self.at(buf, n, i, &mut f);
        }
    }
}

impl Bank {
    fn build(
        patterns: Patterns,
        kind: AhoCorasickKind,
        by_prefix: bool,
    ) -> Result<Self, SpecError> {
        let (cores, owners): (Vec<String>, Vec<Vec<Entry>>) = patterns.into_iter().unzip();
        let prefix = if by_prefix {
            Prefix::build(&cores)
        } else {
            None
        };
        let search = if let Some(p) = prefix {
            Search::Prefix(p)
        } else if cores.len() <= FEW_PATTERNS {
            let find = AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&cores)
                .map_err(build_error)?;
            let walk = aho_corasick::dfa::Builder::new()
                .match_kind(MatchKind::Standard)
                .start_kind(aho_corasick::StartKind::Anchored)
                .prefilter(false)
                .build(&cores)
                .map_err(build_error)?;
            Search::Leftmost { find, walk }
        } else {
            Search::Overlapping(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(kind))
                    .build(&cores)
                    .map_err(build_error)?,
            )
        };
        Ok(Bank { search, owners })
    }

    /// Calls `f(pattern, start, end)` for every occurrence of every pattern in `buf[..n]`
    /// (followed by `words::PAD` readable bytes).
    fn for_each(&self, buf: &[u8], n: usize, mut f: impl FnMut(usize, usize, usize)) {
        let hay = &buf[..n];
        use aho_corasick::automaton::Automaton;
        use aho_corasick::{Anchored, Input};
        match &self.search {
            Search::Overlapping(ac) => {
                for m in ac.find_overlapping_iter(hay) {
                    f(m.pattern().as_usize(), m.start(), m.end());
                }
            }
            Search::Leftmost { find, walk } => {
                let mut at = 0;
                while let Some(m) = find.find(Input::new(hay).span(at..hay.len())) {
                    let start = m.start();
                    // Matches of a state include patterns ending there that start later
                    // (suffixes): keep those of the right length.
                    let Ok(mut sid) = walk.start_state(Anchored::Yes) else {
                        return;
                    };
                    for (i, &b) in hay[start..].iter().enumerate() {
                        sid = walk.next_state(Anchored::Yes, sid, b);
                        if walk.is_dead(sid) {
                            break;
                        }
                        if walk.is_match(sid) {
                            for k in 0..walk.match_len(sid) {
                                let pid = walk.match_pattern(sid, k);
                                if walk.pattern_len(pid) == i + 1 {
                                    f(pid.as_usize(), start, start + i + 1);
                                }
                            }
                        }
                    }
                    at = start + 1;
                }
            }
            Search::Prefix(p) => p.for_each(buf, n, f),
        }
    }
}

/// A built scorer: immutable, shareable between threads.
pub struct Scorer {
    /// Keywords free to start anywhere, by alphabet.
    free_ascii: Bank,
    free_other: Bank,
    words: WordIndex,
    /// Keyword id -> ids of shorter keywords of the same set found inside it; when both
    /// match, only the longer one counts ("prove that" is one marker, not two).
    subsumes: Vec<Vec<u32>>,
    /// Keyword id -> index into KEYWORD_SETS.
    keyword_set: Vec<u8>,
    /// (first part, second part, keyword id) of each "A ... B" entry.
    sequences: Vec<(u32, u32, u32)>,
    n_parts: usize,
    n_patterns: usize,
    weights: [f64; 15],
    saturation: [f64; 15],
    boundaries: [f64; 3],
    token_scale: [f64; 3],
    steepness: f64,
    ambiguity_threshold: f64,
    ambiguous_tier: u8,
    override_confidence: f64,
    reasoning_min_markers: u32,
    long_context_tokens: f64,
    word_problem_min_tokens: f64,
    structured_floor: u8,
    hard_floor: u8,
    proof_floor: u8,
    agentic_steps_min: u32,
    agentic_steps_floor: u8,
}

/// Counts that are not keywords; all measured on the original text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    pub question_marks: u64,
    /// Distinct answer-option letters a-e seen as "(a)" or at a line start as "a)", "A.", "b:".
    pub choice_letters: u64,
    pub numbers: u64,
    pub list_items: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreOutput {
    pub tier: u8,
    pub score: f64,
    pub confidence: f64,
    pub ambiguous: bool,
    pub tokens: f64,
    pub rule: u8,
    pub raw: [f64; 15],
    /// Matched keyword ids, ascending.
    pub matched: Vec<u32>,
    pub features: Features,
}

fn tier_index(name: &str, key: &str) -> Result<u8, SpecError> {
    TIERS
        .iter()
        .position(|t| *t == name)
        .map(|i| i as u8)
        .ok_or_else(|| {
            SpecError(format!(
                "{key}: unknown tier {name:?} (expected one of {TIERS:?})"
            ))
        })
}

fn finite(value: f64, key: &str) -> Result<f64, SpecError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(SpecError(format!(
            "{key}: must be a finite number, got {value}"
        )))
    }
}

/// Folds and normalises one keyword; `None` when nothing is left.
fn parse_needle(raw: &str) -> Result<Needle, String> {
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
    if core.chars().count() < 2 {
        return Err(format!("{raw:?} is shorter than 2 characters"));
    }
    let first = core.chars().next().map(text::class);
    let last = core.chars().next_back().map(text::class);
    Ok(Needle {
        core: core.to_string(),
        need_left: !left_star && first == Some(Class::Word),
        need_right: !right_star && last == Some(Class::Word),
    })
}

impl Scorer {
    /// Builds a scorer from the JSON form of a `Spec`.
    pub fn from_json(spec: &str) -> Result<Self, SpecError> {
        let spec: Spec = serde_json::from_str(spec)
            .map_err(|e| SpecError(format!("invalid scorer spec: {e}")))?;
        Self::new(&spec)
    }

    pub fn new(spec: &Spec) -> Result<Self, SpecError> {
        let mut weights = [0.0; 15];
        let mut saturation = [1.0; 15];
        for (i, name) in DIMENSIONS.iter().enumerate() {
            let w = spec
                .weights
                .get(*name)
                .ok_or_else(|| SpecError(format!("weights.{name}: missing")))?;
            weights[i] = finite(*w, &format!("weights.{name}"))?;
            if i != D_TOKENS {
                let s = spec
                    .saturation
                    .get(*name)
                    .ok_or_else(|| SpecError(format!("saturation.{name}: missing")))?;
                if !(s.is_finite() && *s > 0.0) {
                    return Err(SpecError(format!(
                        "saturation.{name}: must be > 0, got {s}"
                    )));
                }
                saturation[i] = *s;
            }
        }
        for key in spec.weights.keys().chain(spec.saturation.keys()) {
            if !DIMENSIONS.contains(&key.as_str()) {
                return Err(SpecError(format!("unknown dimension {key:?}")));
            }
        }
        for key in spec.keywords.keys() {
            if !KEYWORD_SETS.contains(&key.as_str()) {
                return Err(SpecError(format!("keywords: unknown keyword set {key:?}")));
            }
        }
        let b = spec.boundaries;
        if !(b.iter().all(|x| x.is_finite()) && b[0] < b[1] && b[1] < b[2]) {
            return Err(SpecError(format!(
                "boundaries: must be finite and ascending, got {b:?}"
            )));
        }
        let t = spec.token_scale;
        if !(t.iter().all(|x| x.is_finite()) && 0.0 < t[0] && t[0] < t[1] && t[1] < t[2]) {
            return Err(SpecError(format!(
                "token_scale: must be positive and ascending, got {t:?}"
            )));
        }
        if !(spec.confidence_steepness.is_finite() && spec.confidence_steepness > 0.0) {
            return Err(SpecError("confidence_steepness: must be > 0".into()));
        }
        for (key, v) in [
            ("ambiguity_threshold", spec.ambiguity_threshold),
            ("override_confidence", spec.override_confidence),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(SpecError(format!("{key}: must be within 0..1, got {v}")));
            }
        }

        let mut patterns: Vec<(String, Vec<Entry>)> = Vec::new();
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut parts: HashMap<Needle, u32> = HashMap::new();
        let mut keyword_set = Vec::new();
        let mut sequences = Vec::new();
        let mut add = |needle: &Needle, target: Target| {
            let pid = *pattern_ids.entry(needle.core.clone()).or_insert_with(|| {
                patterns.push((needle.core.clone(), Vec::new()));
                patterns.len() - 1
            });
            let entry = Entry {
                target,
                need_left: needle.need_left,
                need_right: needle.need_right,
            };
            patterns[pid].1.push(entry);
        };
        let mut cores: Vec<Option<String>> = Vec::new();
        for (set_index, set) in KEYWORD_SETS.iter().enumerate() {
            let empty = Vec::new();
            let words = spec.keywords.get(*set).unwrap_or(&empty);
            let mut seen: HashMap<String, &str> = HashMap::new();
            for raw in words {
                let id = keyword_set.len() as u32;
                keyword_set.push(set_index as u8);
                let err = |m: String| SpecError(format!("keywords.{set}: {m}"));
                let key = if raw.contains(SEQUENCE_SEP) {
                    if set_index != K_MULTISTEP {
                        return Err(err(format!(
                            "{raw:?}: sequences \"A ... B\" are only allowed in multiStepPatterns"
                        )));
                    }
                    let halves: Vec<&str> = raw.split(SEQUENCE_SEP).collect();
                    if halves.len() != 2 {
                        return Err(err(format!("{raw:?}: a sequence has exactly two parts")));
                    }
                    let mut ids = [0u32; 2];
                    let mut halves_cores = Vec::new();
                    for (k, half) in halves.iter().enumerate() {
                        let needle = parse_needle(half).map_err(err)?;
                        let next = parts.len() as u32;
                        ids[k] = *parts.entry(needle.clone()).or_insert_with(|| {
                            add(&needle, Target::SeqPart(next));
                            next
                        });
                        halves_cores.push(needle.core);
                    }
                    sequences.push((ids[0], ids[1], id));
                    cores.push(None);
                    halves_cores.join(SEQUENCE_SEP)
                } else {
                    let needle = parse_needle(raw).map_err(err)?;
                    add(&needle, Target::Keyword(id));
                    cores.push(Some(needle.core.clone()));
                    needle.core
                };
                if let Some(previous) = seen.insert(key, raw) {
                    return Err(err(format!(
                        "{raw:?} is listed twice (also as {previous:?})"
                    )));
                }
            }
        }
        let n_patterns = patterns.len();
        let mut word_items = Vec::new();
        let (mut free_ascii, mut free_other): (Patterns, Patterns) = (Vec::new(), Vec::new());
        for (core, entries) in patterns {
            let (anchored, free): (Vec<Entry>, Vec<Entry>) =
                entries.into_iter().partition(|e| e.need_left);
            if !free.is_empty() {
                let bank = if core.is_ascii() {
                    &mut free_ascii
                } else {
                    &mut free_other
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
                word_items.push((core.clone(), shape, e.need_right, e.target));
            }
        }
        let mut scorer = Scorer {
            free_ascii: Bank::build(free_ascii, AhoCorasickKind::DFA, false)?,
            free_other: Bank::build(free_other, AhoCorasickKind::ContiguousNFA, true)?,
            words: WordIndex::build(word_items),
            subsumes: Vec::new(),
            n_patterns,
            keyword_set,
            sequences,
            n_parts: parts.len(),
            weights,
            saturation,
            boundaries: spec.boundaries,
            token_scale: spec.token_scale,
            steepness: spec.confidence_steepness,
            ambiguity_threshold: spec.ambiguity_threshold,
            ambiguous_tier: tier_index(&spec.ambiguous_tier, "ambiguous_tier")?,
            override_confidence: spec.override_confidence,
            reasoning_min_markers: spec.reasoning_min_markers,
            long_context_tokens: finite(spec.long_context_tokens, "long_context_tokens")?,
            word_problem_min_tokens: finite(
                spec.word_problem_min_tokens,
                "word_problem_min_tokens",
            )?,
            structured_floor: tier_index(&spec.structured_output_floor, "structured_output_floor")?,
            hard_floor: tier_index(&spec.hard_ask_floor, "hard_ask_floor")?,
            proof_floor: tier_index(&spec.proof_ask_floor, "proof_ask_floor")?,
            agentic_steps_min: spec.agentic_steps_min,
            agentic_steps_floor: tier_index(&spec.agentic_steps_floor, "agentic_steps_floor")?,
        };
        // A keyword subsumes the other keywords of its set that match inside its own text.
        let mut subsumes = vec![Vec::new(); cores.len()];
        let mut scratch = Scratch::default();
        let mut bits = Vec::new();
        for (id, core) in cores.iter().enumerate() {
            let Some(core) = core else { continue };
            let set = scorer.keyword_set[id];
            let mut inner = vec![0u64; cores.len().div_ceil(64)];
            let buf = words::padded(core.as_bytes());
            let system = set as usize == K_STRUCTURED;
            text::word_bits(core, &mut bits);
            scorer.scan(
                &buf,
                core.len(),
                core.is_ascii(),
                &bits,
                &mut inner,
                system,
                &mut scratch,
            );
            subsumes[id] = bit_ids(&inner)
                .filter(|&k| k as usize != id && scorer.keyword_set[k as usize] == set)
                .collect();
        }
        scorer.subsumes = subsumes;
        Ok(scorer)
    }

    pub fn n_keywords(&self) -> usize {
        self.keyword_set.len()
    }

    pub fn n_patterns(&self) -> usize {
        self.n_patterns
    }

    /// Marks every keyword of `buf[..n]` (folded text followed by `words::PAD` zero bytes) whose
    /// occurrence satisfies its boundaries; `bits` marks its word characters (see
    /// `text::fold_scan`). The system prompt pass looks for structured-output keywords only;
    /// the prompt pass for all others.
    #[allow(clippy::too_many_arguments)]
    fn scan(
        &self,
        buf: &[u8],
        n: usize,
        ascii: bool,
        bits: &[u64],
        matched: &mut [u64],
        system: bool,
        scratch: &mut Scratch,
    ) {
        let parts = &mut scratch.parts;
        parts.reset(self.n_parts);
        let is_word_before = |at: usize| at > 0 && text::bit_at(bits, at - 1);
        let is_word_at = |at: usize| at < n && text::bit_at(bits, at);
        let mut report = |target: Target, start: usize, end: usize| match target {
            Target::Keyword(id) => {
                let id = id as usize;
                if (self.keyword_set[id] as usize == K_STRUCTURED) == system {
                    matched[id / 64] |= 1 << (id % 64);
                }
            }
            Target::SeqPart(p) if !system => parts.add(p as usize, start, end),
            Target::SeqPart(_) => {}
        };
        let banks = if ascii {
            &[&self.free_ascii][..]
        } else {
            &[&self.free_ascii, &self.free_other][..]
        };
        for bank in banks {
            bank.for_each(buf, n, |pattern, start, end| {
                for entry in &bank.owners[pattern] {
                    if (entry.need_left && is_word_before(start))
                        || (entry.need_right && is_word_at(end))
                    {
                        continue;
                    }
                    report(entry.target, start, end);
                }
            });
        }
        let tables = std::mem::take(&mut scratch.tables);
        let mut scan = Scan::new(&self.words, buf, n, &is_word_at, tables, &mut report);
        // Set bits of `w ^ (w << 1)`: where words start and end, alternately.
        let (mut carry, mut start, mut inside) = (0u64, 0usize, false);
        for (k, &w) in bits.iter().enumerate() {
            let mut edges = w ^ ((w << 1) | carry);
            carry = w >> 63;
            while edges != 0 {
                let at = k * 64 + edges.trailing_zeros() as usize;
                edges &= edges - 1;
                if inside {
                    scan.word(start, at);
                } else {
                    start = at;
                }
                inside = !inside;
            }
        }
        if inside {
            scan.word(start, n);
        }
        scratch.tables = scan.finish();
        for &(a, b, id) in &self.sequences {
            let (a, b) = (a as usize, b as usize);
            if parts.seen(a) && parts.seen(b) && parts.first_end[a] <= parts.last_start[b] {
                matched[id as usize / 64] |= 1 << (id % 64);
            }
        }
    }

    fn token_raw(&self, t: f64) -> f64 {
        let [a, b, c] = self.token_scale;
        if t <= a {
            -1.0
        } else if t >= c {
            1.0
        } else if t < b {
            -1.0 + (t / a).ln() / (b / a).ln()
        } else {
            (t / b).ln() / (c / b).ln()
        }
    }

    fn sigmoid(&self, distance: f64) -> f64 {
        1.0 / (1.0 + (-self.steepness * distance).exp())
    }

    /// Scores one prompt; `system` feeds only the structured-output rule.
    pub fn score(&self, prompt: &str, system: Option<&str>) -> ScoreOutput {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => {
                let out = self.score_with(prompt, system, &mut scratch);
                if scratch.buf.capacity() > SCRATCH_KEEP {
                    *scratch = Scratch::default();
                }
                out
            }
            Err(_) => self.score_with(prompt, system, &mut Scratch::default()),
        })
    }

    fn score_with(&self, prompt: &str, system: Option<&str>, scratch: &mut Scratch) -> ScoreOutput {
        let mut matched = std::mem::take(&mut scratch.matched);
        matched.clear();
        matched.resize(self.keyword_set.len().div_ceil(64), 0);
        let mut buf = std::mem::take(&mut scratch.buf);
        let mut bits = std::mem::take(&mut scratch.bits);
        let folded = text::fold_scan(prompt, &mut buf, words::PAD, &mut bits);
        self.scan(
            &buf,
            folded.n,
            folded.ascii,
            &bits,
            &mut matched,
            false,
            scratch,
        );
        if let Some(system) = system {
            let f = text::fold_scan(system, &mut buf, words::PAD, &mut bits);
            self.scan(&buf, f.n, f.ascii, &bits, &mut matched, true, scratch);
        }
        scratch.buf = buf;
        scratch.bits = bits;
        // Drop keywords that a longer matched keyword of their set contains.
        let shadowed = &mut scratch.shadowed;
        shadowed.clear();
        shadowed.resize(matched.len(), 0);
        for id in bit_ids(&matched) {
            for &k in &self.subsumes[id as usize] {
                shadowed[k as usize / 64] |= 1 << (k % 64);
            }
        }
        for (m, s) in matched.iter_mut().zip(shadowed.iter()) {
            *m &= !s;
        }
        let mut ids: Vec<u32> =
            Vec::with_capacity(matched.iter().map(|w| w.count_ones() as usize).sum());
        ids.extend(bit_ids(&matched));
        scratch.matched = matched;
        let mut per_set = [0u32; KEYWORD_SETS.len()];
        for &id in &ids {
            per_set[self.keyword_set[id as usize] as usize] += 1;
        }
        let features = ascii_features(prompt, folded.questions);
        let tokens = folded.counts.tokens();

        let mut raw = [0.0f64; 15];
        let mut set = 0usize;
        for (d, value) in raw.iter_mut().enumerate() {
            if d == D_TOKENS {
                *value = self.token_raw(tokens);
                continue;
            }
            let mut n = per_set[set] as f64;
            set += 1;
            let q = features.question_marks;
            if d == D_REASONING {
                // A question about several numbers in a few sentences: a word problem.
                if features.numbers >= 2 && q >= 1 && tokens >= self.word_problem_min_tokens {
                    n += 1.0;
                }
            } else if d == D_QUESTION {
                n += q.saturating_sub(1) as f64;
                if features.choice_letters >= 3 {
                    n += 2.0;
                }
            } else if d == D_MULTISTEP {
                n += (features.list_items / 2) as f64;
            }
            let v = (n / self.saturation[d]).min(1.0);
            *value = if d == D_SIMPLE { 0.0 - v } else { v };
        }
        let mut score = 0.0;
        for (w, r) in self.weights.iter().zip(raw.iter()) {
            score += w * r;
        }

        let mut tier = self.boundaries.iter().filter(|&&b| score >= b).count() as u8;
        let distance = self
            .boundaries
            .iter()
            .map(|b| (score - b).abs())
            .fold(f64::INFINITY, f64::min);
        let mut confidence = self.sigmoid(distance);
        let mut rule = 0u8;
        let mut ambiguous = false;
        if confidence < self.ambiguity_threshold {
            tier = self.ambiguous_tier;
            rule = 1;
            ambiguous = true;
        }
        // A short hard ask only counts when it is about something technical or formal.
        let co_signal =
            per_set[K_TECHNICAL] + per_set[K_CODE] + per_set[K_REASONING] + per_set[K_DOMAIN];
        let markers = self.reasoning_min_markers;
        // (rule applies, tier it lifts to, rule code), applied in order; each only raises.
        let steps = self.agentic_steps_min;
        let floors = [
            (markers > 0 && per_set[K_REASONING] >= markers, 3u8, 2u8),
            (per_set[K_PROOF] >= 1, self.proof_floor, 6),
            (tokens > self.long_context_tokens, 2, 3),
            (per_set[K_HARD] >= 1 && co_signal >= 1, self.hard_floor, 4),
            (
                steps > 0 && per_set[K_AGENTIC] >= steps,
                self.agentic_steps_floor,
                7,
            ),
            (per_set[K_STRUCTURED] >= 1, self.structured_floor, 5),
        ];
        for (applies, floor, code) in floors {
            if applies && floor > tier {
                tier = floor;
                rule = code;
                ambiguous = false;
                confidence = self.override_confidence;
            }
        }
        ScoreOutput {
            tier,
            score,
            confidence,
            ambiguous,
            tokens,
            rule,
            raw,
            matched: ids,
            features,
        }
    }
}

/// Buffers reused by the scans of one thread (allocating and faulting in fresh pages for a
/// long prompt costs as much as scanning it).
#[derive(Default)]
struct Scratch {
    buf: Vec<u8>,
    bits: Vec<u64>,
    tables: words::Tables,
    parts: Parts,
    matched: Vec<u64>,
    shadowed: Vec<u64>,
}

/// A thread keeps its buffers while they stay below this size in bytes.
const SCRATCH_KEEP: usize = 8 << 20;

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// The ids whose bits are set, ascending.
fn bit_ids(bits: &[u64]) -> impl Iterator<Item = u32> + '_ {
    bits.iter().enumerate().flat_map(|(w, &word)| {
        let mut word = word;
        std::iter::from_fn(move || {
            (word != 0).then(|| {
                let bit = word.trailing_zeros();
                word &= word - 1;
                (w * 64) as u32 + bit
            })
        })
    })
}

/// Question marks, digit runs, numbered-list lines and answer-option letters of `text`.
/// Option letters a-e count as "(a)" anywhere, "a)" between blanks, and at a line start as
/// "a)", "a.", "a:" or "(a." followed by a blank. Everything looked for here is ASCII except
/// two question marks, so the scan runs on bytes (ASCII bytes never occur inside a
/// multi-byte UTF-8 sequence).
pub fn features(text: &str) -> Features {
    let questions = if text.is_ascii() {
        0
    } else {
        text.chars()
            .filter(|&c| c == '\u{FF1F}' || c == '\u{061F}')
            .count() as u64
    };
    ascii_features(text, questions)
}

/// `features` given the count of its non-ASCII question marks.
fn ascii_features(text: &str, questions: u64) -> Features {
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let blank = |c: u8| c == b' ' || c == b'\t';
    let option = |c: u8| matches!(c, b'a'..=b'e' | b'A'..=b'E');
    let bit = |c: u8| 1u8 << (c.to_ascii_lowercase() - b'a');
    let mut f = Features::default();
    // Digit runs are digits not preceded by a digit.
    let mut marks = Vec::new();
    (f.numbers, f.question_marks) = crate::simd::feature_bits(b, &mut marks);
    f.question_marks += questions;
    let mut letters = 0u8;
    let mut line = |start: usize, letters: &mut u8| {
        let mut i = start;
        while blank(at(i)) {
            i += 1;
        }
        // Numbered item: 1-3 digits, '.' or ')', then a blank.
        let digits = (0..4).take_while(|&k| at(i + k).is_ascii_digit()).count();
        if (1..=3).contains(&digits)
            && matches!(at(i + digits), b'.' | b')')
            && blank(at(i + digits + 1))
        {
            f.list_items += 1;
        }
        // Option label: optional '(', a letter a-e, one of ").:", then a blank.
        let k = if at(i) == b'(' { i + 1 } else { i };
        if option(at(k)) && matches!(at(k + 1), b')' | b'.' | b':') && blank(at(k + 2)) {
            *letters |= bit(at(k));
        }
    };
    line(0, &mut letters);
    for (w, &m) in marks.iter().enumerate() {
        let mut m = m;
        while m != 0 {
            let i = w * 64 + m.trailing_zeros() as usize;
            m &= m - 1;
            if b[i] == b'\n' {
                line(i + 1, &mut letters);
            } else if i >= 2 {
                // ')': "(a)" anywhere, or "a)" between blanks.
                let l = b[i - 1];
                if option(l) && (b[i - 2] == b'(' || (blank(b[i - 2]) && blank(at(i + 1)))) {
                    letters |= bit(l);
                }
            }
        }
    }
    f.choice_letters = letters.count_ones() as u64;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_of_a_quiz() {
        let f = features("Which is prime?\nA. 4\nB. 6\n(c) 7\n  1. one\n2) two\n12.5 is not\n");
        assert_eq!(features("Pick: a) red b) blue  c) green").choice_letters, 3);
        assert_eq!(features("plan a)b) c)").choice_letters, 0);
        assert_eq!(f.question_marks, 1);
        assert_eq!(f.choice_letters, 3);
        assert_eq!(f.list_items, 2);
        assert_eq!(f.numbers, 7);
    }

    #[test]
    fn index_constants_name_the_right_sets() {
        for (d, name) in [
            (D_REASONING, "reasoningMarkers"),
            (D_MULTISTEP, "multiStepPatterns"),
            (D_TOKENS, "tokenCount"),
            (D_QUESTION, "questionComplexity"),
            (D_SIMPLE, "simpleIndicators"),
        ] {
            assert_eq!(DIMENSIONS[d], name);
        }
        for (k, name) in [
            (K_REASONING, "reasoningMarkers"),
            (K_CODE, "codePresence"),
            (K_MULTISTEP, "multiStepPatterns"),
            (K_TECHNICAL, "technicalTerms"),
            (K_AGENTIC, "agenticTask"),
            (K_DOMAIN, "domainSpecificity"),
            (K_STRUCTURED, "structuredOutput"),
            (K_HARD, "hardAsks"),
            (K_PROOF, "proofAsks"),
        ] {
            assert_eq!(KEYWORD_SETS[k], name);
        }
    }

    #[test]
    fn needles() {
        let n = parse_needle("  Step  By Step ").unwrap();
        assert_eq!(
            (n.core.as_str(), n.need_left, n.need_right),
            ("step by step", true, true)
        );
        let n = parse_needle("deriv*").unwrap();
        assert_eq!((n.need_left, n.need_right), (true, false));
        let n = parse_needle("证明").unwrap();
        assert_eq!((n.need_left, n.need_right), (false, false));
        assert!(parse_needle("*a").is_err());
    }
}
