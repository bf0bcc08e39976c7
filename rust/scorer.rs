//! The prompt scorer: a spec compiled once (`keywords`, `bank`, `words`), then per prompt one
//! fold pass and one scan (linear in the text), the 15 dimension values, the weighted score
//! and the tier rules, then the structural signals and rules (`structure`; their keywords are
//! found by the same scan). Plain Rust: the PyO3 binding lives in `binding.rs`; the Python
//! twin is `PyScorer` in `_pyscorer.py`.
//!
//! Keywords that must start at a word boundary (nearly all) are found word by word
//! (`words`): each distinct word of the text is looked up once. The few others (`->`,
//! `*suffix`, CJK, ...) go to banks (`bank`), split by alphabet: the ASCII ones always run, the
//! others only on non-ASCII text (a keyword with a non-ASCII character cannot occur in ASCII
//! text). Word boundaries are checked on each reported occurrence.

use aho_corasick::AhoCorasickKind;

use crate::bank::Bank;
use crate::bytes;
use crate::features::ascii_features;
pub use crate::features::Features;
use crate::keywords::{self, Keywords};
use crate::skeleton;
pub use crate::spec::{Settings, Spec, SpecError};
use crate::structure::Structure;
use crate::tables::{
    D_MULTISTEP, D_QUESTION, D_REASONING, D_SIMPLE, D_TOKENS, KEYWORD_SETS, K_AGENTIC, K_CODE,
    K_DOMAIN, K_HARD, K_PROOF, K_REASONING, K_STRUCTURED, K_TECHNICAL, STRUCTURE_SETS,
};
use crate::text;
use crate::words::{self, Parts, Scan, Target, WordIndex};

/// A built scorer: immutable, shareable between threads.
pub struct Scorer {
    /// Keywords free to start anywhere, by alphabet.
    free_ascii: Bank,
    free_other: Bank,
    words: WordIndex,
    /// Keyword id -> ids of shorter keywords of the same set found inside it; when both
    /// match, only the longer one counts ("prove that" is one marker, not two).
    subsumes: Vec<Vec<u32>>,
    /// Keyword id -> index into KEYWORD_SETS (`keywords::NO_SET` for structure keywords).
    keyword_set: Vec<u8>,
    /// The keywords that are not the structure's (whose ids follow theirs).
    n_keywords: usize,
    /// Structure keyword (id - `n_keywords`) -> index into STRUCTURE_SETS.
    structure_set: Vec<u8>,
    /// (first part, second part, keyword id) of each "A ... B" entry.
    sequences: Vec<(u32, u32, u32)>,
    n_parts: usize,
    n_patterns: usize,
    settings: Settings,
    /// `ln(b / a)` and `ln(c / b)` of the token scale `[a, b, c]` (`token_raw`).
    token_logs: [f64; 2],
    structure: Option<Structure>,
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
    /// The word-problem signal counted among the reasoning markers.
    pub word_problem: bool,
}

impl Scorer {
    /// Builds a scorer from the JSON form of a `Spec`.
    pub fn from_json(spec: &str) -> Result<Self, SpecError> {
        Self::new(&Spec::from_json(spec)?)
    }

    pub fn new(spec: &Spec) -> Result<Self, SpecError> {
        let settings = Settings::from_spec(spec)?;
        let structure = spec
            .structure
            .as_ref()
            .map(|s| Structure::from_spec(s, settings.word_problem_min_tokens))
            .transpose()?;
        let mut compiled =
            Keywords::compile(&spec.keywords, spec.structure.as_ref().map(|s| &s.sets))?;
        let n_keywords = compiled.keyword_set.len() - compiled.structure_set.len();
        // (What `n_patterns` reports: the keywords' distinct cores, the structure's aside.)
        let n_patterns = compiled.n_keyword_patterns;
        let n_parts = compiled.n_parts();
        let routes = keywords::route(std::mem::take(&mut compiled.patterns));
        let mut scorer = Scorer {
            free_ascii: Bank::build(routes.free_ascii, AhoCorasickKind::DFA, false)?,
            free_other: Bank::build(routes.free_other, AhoCorasickKind::ContiguousNFA, true)?,
            words: WordIndex::build(routes.word_items),
            subsumes: Vec::new(),
            n_patterns,
            keyword_set: compiled.keyword_set,
            n_keywords,
            structure_set: compiled.structure_set,
            sequences: compiled.sequences,
            n_parts,
            token_logs: {
                let [a, b, c] = settings.token_scale;
                [(b / a).ln(), (c / b).ln()]
            },
            settings,
            structure,
        };
        scorer.subsumes = scorer.subsumptions(&compiled.cores);
        Ok(scorer)
    }

    /// Per keyword, the other keywords of its set that match inside its own core.
    fn subsumptions(&self, cores: &[Option<String>]) -> Vec<Vec<u32>> {
        let mut subsumes = vec![Vec::new(); cores.len()];
        let mut scratch = Scratch::default();
        let mut bits = Vec::new();
        for (id, core) in cores.iter().enumerate() {
            let Some(core) = core else { continue };
            let set = self.keyword_set[id];
            let mut inner = Marks::default();
            inner.fit(self.keyword_set.len());
            let buf = bytes::padded(core.as_bytes());
            let system = set as usize == K_STRUCTURED;
            text::word_bits(core, &mut bits);
            self.scan(
                &buf,
                core.len(),
                core.is_ascii(),
                &bits,
                &mut inner,
                system,
                &mut scratch,
            );
            subsumes[id] = bit_ids(&inner.words)
                .filter(|&k| k as usize != id && self.keyword_set[k as usize] == set)
                .collect();
        }
        subsumes
    }

    /// The keywords of the keyword sets (the structure's aside).
    pub fn n_keywords(&self) -> usize {
        self.n_keywords
    }

    pub fn n_patterns(&self) -> usize {
        self.n_patterns
    }

    /// Marks every keyword of `buf[..n]` (folded text followed by `bytes::PAD` zero bytes) whose
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
        matched: &mut Marks,
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
                    matched.set(id);
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
            // A pattern is settled once all it stands for are keywords, reported (a keyword
            // counts once; whether it counts in this pass does not change).
            bank.for_each(buf, n, &mut scratch.settled, |pattern, start, end| {
                let mut settled = true;
                for entry in bank.owners(pattern) {
                    if (entry.need_left && is_word_before(start))
                        || (entry.need_right && is_word_at(end))
                    {
                        settled = false;
                        continue;
                    }
                    settled &= matches!(entry.target, Target::Keyword(_));
                    report(entry.target, start, end);
                }
                settled
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
                matched.set(id as usize);
            }
        }
    }

    /// Scores one prompt; `system` feeds only the structured-output rule.
    pub fn score(&self, prompt: &str, system: Option<&str>) -> ScoreOutput {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => {
                let out = self.score_with(prompt, system, &mut scratch);
                if scratch.buf.capacity().max(scratch.skeleton.capacity()) > SCRATCH_KEEP {
                    *scratch = Scratch::default();
                }
                out
            }
            Err(_) => self.score_with(prompt, system, &mut Scratch::default()),
        })
    }

    fn score_with(&self, prompt: &str, system: Option<&str>, scratch: &mut Scratch) -> ScoreOutput {
        let (ids, folded, sets, wide) = self.matched_ids(prompt, system, scratch);
        let mut per_set = [0u32; KEYWORD_SETS.len()];
        for &id in &ids {
            per_set[self.keyword_set[id as usize] as usize] += 1;
        }
        let text = self
            .structure
            .as_ref()
            .map(|_| skeleton::read_copied(prompt, folded.counts.cjk, &scratch.skeleton, wide));
        // The skeleton pass counts the features on its way; without it, a pass of their own.
        let features = match &text {
            Some(t) => Features {
                question_marks: t.features.question_marks + folded.questions,
                ..t.features
            },
            None => ascii_features(prompt, folded.questions),
        };
        let tokens = folded.counts.tokens();
        let structure = self.structure.as_ref().zip(text).map(|(s, text)| {
            let sig = Structure::signals(text, features.question_marks, sets);
            (s, sig)
        });
        // Quantities given and one asked for; without the structure, any question about
        // several numbers in a few sentences.
        let word_problem = match &structure {
            Some((s, sig)) => s.word_problem(sig, tokens, per_set[K_CODE], per_set[K_TECHNICAL]),
            None => {
                features.numbers >= 2
                    && features.question_marks >= 1
                    && tokens >= self.settings.word_problem_min_tokens
            }
        };
        let raw = self.raw_values(&per_set, &features, tokens, word_problem);
        let mut score = 0.0;
        for (w, r) in self.settings.weights.iter().zip(raw.iter()) {
            score += w * r;
        }
        let (mut tier, mut confidence, mut ambiguous, mut rule) =
            self.decide(score, &per_set, tokens);
        if let Some((s, sig)) = &structure {
            let options = features.choice_letters;
            let (to, why) = s.decide(sig, prompt, tier, rule, tokens, &per_set, options);
            if let Some(why) = why {
                (tier, rule, ambiguous) = (to, why, false);
                confidence = self.settings.override_confidence;
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
            word_problem,
        }
    }

    /// The ids of the keywords that count (ascending), what the fold pass of the prompt
    /// learned, the distinct structure keywords of each structure set, and (with the
    /// structure, for non-ASCII text) what the skeleton copy that the fold pass built in
    /// `scratch.skeleton` learned.
    fn matched_ids(
        &self,
        prompt: &str,
        system: Option<&str>,
        scratch: &mut Scratch,
    ) -> (
        Vec<u32>,
        text::Folded,
        [u32; STRUCTURE_SETS.len()],
        Option<skeleton::Wide>,
    ) {
        let mut matched = std::mem::take(&mut scratch.matched);
        matched.fit(self.keyword_set.len());
        let mut buf = std::mem::take(&mut scratch.buf);
        let mut bits = std::mem::take(&mut scratch.bits);
        let (folded, wide) = if self.structure.is_some() {
            let mut copier = skeleton::Copier::default();
            let image = Some((&mut scratch.skeleton, &mut copier));
            let f = text::fold_scan_with(prompt, &mut buf, bytes::PAD, &mut bits, image);
            (f, (!f.ascii).then(|| copier.finish()))
        } else {
            (
                text::fold_scan(prompt, &mut buf, bytes::PAD, &mut bits),
                None,
            )
        };
        self.scan(
            &buf,
            folded.n,
            folded.ascii,
            &bits,
            &mut matched,
            false,
            scratch,
        );
        let sets = self.take_structure(&mut matched);
        if let Some(system) = system {
            let f = text::fold_scan(system, &mut buf, bytes::PAD, &mut bits);
            self.scan(&buf, f.n, f.ascii, &bits, &mut matched, true, scratch);
        }
        scratch.buf = buf;
        scratch.bits = bits;
        // Drop keywords that a longer matched keyword of their set contains (all found first:
        // a keyword shadowed by one that is itself shadowed is dropped too).
        let shadow = &mut scratch.shadow;
        shadow.clear();
        matched.for_each(|id| shadow.extend_from_slice(&self.subsumes[id]));
        for &k in shadow.iter() {
            matched.unset(k as usize);
        }
        // (No popcount to size `ids`: on baseline x86_64 it is a dozen instructions a word, and
        // most words of `matched` are 0; a prompt matches a few dozen keywords at most.)
        let mut ids: Vec<u32> = Vec::with_capacity(32);
        matched.for_each(|id| ids.push(id as u32));
        matched.clear();
        scratch.matched = matched;
        (ids, folded, sets, wide)
    }

    /// Counts the structure keywords of `matched` per structure set and clears their bits.
    fn take_structure(&self, matched: &mut Marks) -> [u32; STRUCTURE_SETS.len()] {
        let mut sets = [0u32; STRUCTURE_SETS.len()];
        let first = self.n_keywords;
        matched.for_each_word_from(first / 64, |w, word| {
            let mut own = *word;
            if w == first / 64 {
                own &= !0u64 << (first % 64);
            }
            *word &= !own;
            while own != 0 {
                let id = w * 64 + own.trailing_zeros() as usize;
                own &= own - 1;
                if let Some(&set) = self.structure_set.get(id - first) {
                    sets[set as usize] += 1;
                }
            }
        });
        sets
    }

    /// The value of each dimension: keyword counts (plus the features that add to them) over
    /// their saturation, capped at 1; tokenCount by the token scale. `word_problem` adds a
    /// reasoning signal.
    fn raw_values(
        &self,
        per_set: &[u32],
        features: &Features,
        tokens: f64,
        word_problem: bool,
    ) -> [f64; 15] {
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
                n += word_problem as u8 as f64;
            } else if d == D_QUESTION {
                n += q.saturating_sub(1) as f64;
                if features.choice_letters >= 3 {
                    n += 2.0;
                }
            } else if d == D_MULTISTEP {
                n += (features.list_items / 2) as f64;
            }
            let v = (n / self.settings.saturation[d]).min(1.0);
            *value = if d == D_SIMPLE { 0.0 - v } else { v };
        }
        raw
    }

    fn token_raw(&self, t: f64) -> f64 {
        let [a, b, c] = self.settings.token_scale;
        let [ln_ba, ln_cb] = self.token_logs;
        if t <= a {
            -1.0
        } else if t >= c {
            1.0
        } else if t < b {
            -1.0 + (t / a).ln() / ln_ba
        } else {
            (t / b).ln() / ln_cb
        }
    }

    /// (tier, confidence, ambiguous, rule) of a score: the tier between the boundaries, with
    /// a confidence by its distance to the nearest one, then the rules that raise the tier.
    fn decide(&self, score: f64, per_set: &[u32], tokens: f64) -> (u8, f64, bool, u8) {
        let s = &self.settings;
        let mut tier = s.boundaries.iter().filter(|&&b| score >= b).count() as u8;
        let distance = s
            .boundaries
            .iter()
            .map(|b| (score - b).abs())
            .fold(f64::INFINITY, f64::min);
        let mut confidence = 1.0 / (1.0 + (-s.steepness * distance).exp());
        let mut rule = 0u8;
        let mut ambiguous = false;
        if confidence < s.ambiguity_threshold {
            tier = s.ambiguous_tier;
            rule = 1;
            ambiguous = true;
        }
        // A short hard ask only counts when it is about something technical or formal.
        let co_signal =
            per_set[K_TECHNICAL] + per_set[K_CODE] + per_set[K_REASONING] + per_set[K_DOMAIN];
        let markers = s.reasoning_min_markers;
        // (rule applies, tier it lifts to, rule code), applied in order; each only raises.
        let steps = s.agentic_steps_min;
        let floors = [
            (markers > 0 && per_set[K_REASONING] >= markers, 3u8, 2u8),
            (per_set[K_PROOF] >= 1, s.proof_floor, 6),
            (tokens > s.long_context_tokens, 2, 3),
            (per_set[K_HARD] >= 1 && co_signal >= 1, s.hard_floor, 4),
            (
                steps > 0 && per_set[K_AGENTIC] >= steps,
                s.agentic_steps_floor,
                7,
            ),
            (per_set[K_STRUCTURED] >= 1, s.structured_floor, 5),
        ];
        for (applies, floor, code) in floors {
            if applies && floor > tier {
                tier = floor;
                rule = code;
                ambiguous = false;
                confidence = s.override_confidence;
            }
        }
        (tier, confidence, ambiguous, rule)
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
    /// The banks' settled patterns (`Bank::for_each`).
    settled: Vec<u64>,
    matched: Marks,
    /// Keywords shadowed by a longer one (`subsumes`).
    shadow: Vec<u32>,
    /// The structure skeleton of non-ASCII text.
    skeleton: Vec<u8>,
}

/// A set of keyword ids: a bit per id, and a bit per word of them that may be non-zero, so
/// that a prompt's few matches are read (and cleared) without a pass over every word (two
/// memsets and four passes over a hundred words cost more than the scan of a short prompt).
/// All zero between uses (`clear`).
#[derive(Default)]
struct Marks {
    words: Vec<u64>,
    summary: Vec<u64>,
}

impl Marks {
    /// Room for ids `0..n`, all unset.
    fn fit(&mut self, n: usize) {
        let w = n.div_ceil(64);
        if self.words.len() != w {
            self.words = vec![0; w];
            self.summary = vec![0; w.div_ceil(64)];
        }
    }

    #[inline]
    fn set(&mut self, id: usize) {
        let w = id / 64;
        self.words[w] |= 1 << (id % 64);
        self.summary[w / 64] |= 1 << (w % 64);
    }

    fn unset(&mut self, id: usize) {
        self.words[id / 64] &= !(1 << (id % 64));
    }

    /// Calls `f(index, word)` for each word at or after `from` that may be non-zero, ascending.
    fn for_each_word_from(&mut self, from: usize, mut f: impl FnMut(usize, &mut u64)) {
        for s in 0..self.summary.len() {
            let mut bits = self.summary[s];
            while bits != 0 {
                let w = s * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if w >= from {
                    f(w, &mut self.words[w]);
                }
            }
        }
    }

    /// Calls `f(id)` for each id set, ascending.
    fn for_each(&mut self, mut f: impl FnMut(usize)) {
        self.for_each_word_from(0, |w, word| {
            let mut bits = *word;
            while bits != 0 {
                f(w * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        });
    }

    /// Unsets every id.
    fn clear(&mut self) {
        self.for_each_word_from(0, |_, word| *word = 0);
        self.summary.fill(0);
    }
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
