//! Patterns that may start anywhere (not only at a word start), found in one pass each:
//! Aho-Corasick automata, or a prefix index when they all start with a multi-byte character.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::keywords::{Entry, Patterns};
use crate::prefix::Prefix;
use crate::spec::SpecError;

/// Patterns and, per pattern, the keywords (or sequence parts) it stands for.
pub struct Bank {
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
        walk: Box<aho_corasick::dfa::DFA>,
    },
    /// Patterns that all start with a multi-byte character: a hash lookup of the first bytes
    /// at each character start.
    Prefix(Prefix),
}

fn build_error(e: impl std::fmt::Display) -> SpecError {
    SpecError(format!("keywords: cannot build the automaton: {e}"))
}

impl Bank {
    /// `kind`: the automaton for many patterns; `by_prefix`: use a prefix index when every
    /// pattern starts with a multi-byte character.
    pub fn build(
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
            Search::Leftmost {
                find,
                walk: Box::new(walk),
            }
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

    /// The entries pattern `pattern` stands for.
    pub fn owners(&self, pattern: usize) -> &[Entry] {
        &self.owners[pattern]
    }

    /// Calls `f(pattern, start, end)` for every occurrence of every pattern in `buf[..n]`
    /// (followed by `bytes::PAD` readable bytes); `f` returns `true` when the pattern needs no
    /// more occurrences in this scan, which a prefix index then skips (`settled`: its scratch).
    pub fn for_each(
        &self,
        buf: &[u8],
        n: usize,
        settled: &mut Vec<u64>,
        mut f: impl FnMut(usize, usize, usize) -> bool,
    ) {
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
            Search::Prefix(p) => p.for_each(buf, n, settled, f),
        }
    }
}
