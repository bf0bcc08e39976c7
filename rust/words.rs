//! Keywords that must start at a word boundary (`need_left`), found word by word.
//!
//! Such a keyword starts with a word character right after a non-word one, so each occurrence
//! starts where a maximal run of word characters (a *word* of the text) starts. Split its core
//! into its leading word `w` and the rest:
//!
//! * no rest, `need_right`: the text word equals `w` (an *exact* keyword);
//! * no rest, no `need_right` (`deriv*`): the text word starts with `w` (a *stem*);
//! * a rest (which starts with a non-word character): the text word equals `w` and the text
//!   after it starts with the rest (then `need_right` is checked there): a *phrase*.
//!
//! Text repeats its words heavily, so each distinct word is looked up once per scan (a
//! per-scan table keyed by the word's bytes); only words that lead a phrase or stand for a
//! sequence part are looked at again on each occurrence. Every step is linear in the text.

use crate::bytes::{load16, padded, Literal, LOW_BYTES, PAD};
use crate::table::{HashBits, Key, Seed, Table};

/// What an occurrence counts for: a keyword id or a sequence part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Keyword(u32),
    SeqPart(u32),
}

/// An occurrence of `len` bytes from the word start counts for `target`.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub target: Target,
    pub len: u32,
}

#[derive(Debug)]
struct Phrase {
    /// The core after its leading word.
    rest: Literal,
    need_right: bool,
    hit: Hit,
    /// The bit of the first bytes of `rest` in `WordInfo::phrase_bits`.
    bit: u64,
}

/// The phrases a word leads (its exact keywords are in its tag: `tagged`).
#[derive(Debug, Default)]
struct WordInfo {
    phrases: Vec<Phrase>,
    /// The mask of the first bytes of the text after the word that `phrase_bits` is by (1 to
    /// 3 bytes: no more than the shortest rest of its phrases).
    phrase_key: u32,
    /// A bit per phrase (by a hash of those bytes of its rest): an occurrence of the word is
    /// checked against its phrases only when the bit of the bytes after it is set.
    phrase_bits: u64,
    /// `phrases` are sorted by bit; those of the r-th set bit of `phrase_bits` are
    /// `phrases[bit_starts[r]..bit_starts[r + 1]]`.
    bit_starts: Vec<u32>,
}

impl WordInfo {
    /// Sets `phrase_key`, `phrase_bits`, each phrase's `bit` and `bit_starts`.
    fn index_phrases(&mut self, seed: &Seed) {
        let Some(shortest) = self.phrases.iter().map(|p| p.rest.len()).min() else {
            return;
        };
        self.phrase_key = (LOW_BYTES[shortest.min(3)]) as u32;
        for p in &mut self.phrases {
            p.bit = phrase_bit(seed, self.phrase_key, p.rest.first4());
            self.phrase_bits |= p.bit;
        }
        self.phrases.sort_by_key(|p| p.bit.trailing_zeros());
        for (i, p) in self.phrases.iter().enumerate() {
            if i == 0 || p.bit != self.phrases[i - 1].bit {
                self.bit_starts.push(i as u32);
            }
        }
        self.bit_starts.push(self.phrases.len() as u32);
    }

    /// The indices of the phrases whose bit is `bit` (one of `phrase_bits`).
    #[inline]
    fn of_bit(&self, bit: u64) -> std::ops::Range<usize> {
        let r = (self.phrase_bits & (bit - 1)).count_ones() as usize;
        self.bit_starts[r] as usize..self.bit_starts[r + 1] as usize
    }
}

/// The bit (of 64) of the first bytes (`key`, a mask of them) of what follows a word.
#[inline(always)]
fn phrase_bit(seed: &Seed, key: u32, first4: u32) -> u64 {
    1 << (seed.hash4(first4 & key) >> 58)
}

/// Bits by the first two bytes of a word.
type PairBits = [u64; 1 << 10];

/// A test, with false positives but none negative, of whether a text word can match anything:
/// most words of a text match nothing and skip every table.
#[derive(Debug)]
struct Filter {
    /// The hashes (`Seed::hash`) of the whole words and phrase leads.
    words: HashBits,
    /// Bits of the first two bytes of stems of 1 to 3 bytes (a one-byte stem sets all 256
    /// pairs it starts).
    short: Box<PairBits>,
    /// A hash (`Seed::hash4`) of the first four bytes of the longer stems.
    four: HashBits,
}

#[inline(always)]
fn test_pair(bits: &PairBits, i: usize) -> bool {
    // (`i % (64 * len)`: the caller's indices are in range; this spares the bounds check.)
    let i = i % (64 * (1 << 10));
    bits[i >> 6] >> (i & 63) & 1 != 0
}

fn set_pair(bits: &mut PairBits, i: usize) {
    bits[i >> 6] |= 1 << (i & 63);
}

impl Filter {
    fn new() -> Self {
        Filter {
            words: HashBits::new(),
            short: Box::new([0; 1 << 10]),
            four: HashBits::new(),
        }
    }

    fn add_stem(&mut self, seed: &Seed, stem: &[u8]) {
        match stem.len() {
            0 => {}
            1 => (0..256).for_each(|b| set_pair(&mut self.short, stem[0] as usize | b << 8)),
            2 | 3 => set_pair(
                &mut self.short,
                u16::from_le_bytes([stem[0], stem[1]]) as usize,
            ),
            _ => {
                let first4 = u32::from_le_bytes([stem[0], stem[1], stem[2], stem[3]]);
                self.four.insert(seed.hash4(first4))
            }
        }
    }

    /// Can a stem match the word at `buf[start..start + len]` (`buf` padded).
    #[inline(always)]
    fn stem_may_match(&self, seed: &Seed, buf: &[u8], start: usize, len: usize) -> bool {
        let first4 = u32::from_le_bytes(buf[start..start + 4].try_into().unwrap_or_default());
        test_pair(&self.short, (first4 & 0xffff) as usize)
            || (len >= 4 && self.four.contains(seed.hash4(first4)))
    }
}

/// A word's tag in `WordIndex::words`, which its table slot holds, so that a look-up reads
/// one cache line: the low 32 bits are its one exact keyword (packed), or with `MANY` the start
/// of its exact keywords in `WordIndex::exact` (their number in bits 32 to 61);
/// `PHRASE_LEAD` when it leads phrases (read its `WordInfo`).
const MANY: u64 = 1 << 62;
const PHRASE_LEAD: u64 = 1 << 63;
/// A target packed into 32 bits (ids below `NO_TARGET`): a keyword id, a sequence part with
/// `SEQ_PART`, or `NO_TARGET` for none.
const SEQ_PART: u32 = 1 << 31;
const NO_TARGET: u32 = SEQ_PART - 1;

/// The tag of a word with these exact targets and phrases (`exact` collects the targets of
/// words with `MANY`).
fn tagged(targets: &[Target], info: &WordInfo, exact: &mut Vec<Target>) -> u64 {
    let packed = match targets {
        [] => Some(NO_TARGET),
        [Target::Keyword(id)] if *id < NO_TARGET => Some(*id),
        [Target::SeqPart(p)] if *p < NO_TARGET => Some(p | SEQ_PART),
        _ => None,
    };
    let tag = match packed {
        Some(t) => t as u64,
        None => {
            exact.extend_from_slice(targets);
            MANY | (targets.len() as u64) << 32 | (exact.len() - targets.len()) as u64
        }
    };
    tag | if info.phrases.is_empty() {
        0
    } else {
        PHRASE_LEAD
    }
}

/// The target of a packed tag (without `MANY`).
#[inline]
fn unpack(tag: u32) -> Option<Target> {
    match tag {
        NO_TARGET => None,
        t if t & SEQ_PART != 0 => Some(Target::SeqPart(t & !SEQ_PART)),
        t => Some(Target::Keyword(t)),
    }
}

/// Stems sharing their first `stem_key` bytes: (those bytes, [(stem, hit)]).
type StemGroup = (Vec<u8>, Vec<(Box<[u8]>, Hit)>);

/// Stems sharing their first `stem_key` bytes, each compared in place with a word's first 16
/// bytes loaded once.
type Stems = Vec<(Literal, Hit)>;

/// The word-anchored keywords of a scorer.
#[derive(Debug)]
pub struct WordIndex {
    seed: Seed,
    filter: Filter,
    words: Table<WordInfo>,
    /// The exact keywords of the words whose tag has `MANY`.
    exact: Vec<Target>,
    /// Stems grouped by their first `stem_key` bytes.
    stems: Table<Stems>,
    stem_key: usize,
    /// The longest whole word or phrase lead (longer text words can only match stems).
    longest: usize,
}

/// How a word-anchored core is looked up (see the module documentation).
pub enum Shape {
    Exact,
    Stem,
    /// The byte length of the leading word.
    Phrase(usize),
}

impl WordIndex {
    /// `items`: (core, shape, need_right, target) of each word-anchored keyword entry.
    pub fn build(items: Vec<(String, Shape, bool, Target)>) -> Self {
        let seed = Seed::new();
        // (word, its exact keywords, the phrases it leads)
        let mut words: Vec<(Vec<u8>, Vec<Target>, WordInfo)> = Vec::new();
        let mut word_ids: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut stems: Vec<(Vec<u8>, Hit)> = Vec::new();
        for (core, shape, need_right, target) in items {
            let hit = Hit {
                target,
                len: core.len() as u32,
            };
            let mut info = |w: &[u8]| -> usize {
                *word_ids.entry(w.to_vec()).or_insert_with(|| {
                    words.push((w.to_vec(), Vec::new(), WordInfo::default()));
                    words.len() - 1
                })
            };
            match shape {
                Shape::Exact => {
                    let id = info(core.as_bytes());
                    words[id].1.push(target)
                }
                Shape::Stem => stems.push((core.into_bytes(), hit)),
                Shape::Phrase(lead) => {
                    let phrase = Phrase {
                        rest: Literal::new(&core.as_bytes()[lead..]),
                        need_right,
                        hit,
                        bit: 0,
                    };
                    let id = info(&core.as_bytes()[..lead]);
                    words[id].2.phrases.push(phrase)
                }
            }
        }
        let stem_key = stems.iter().map(|(s, _)| s.len()).min().unwrap_or(1);
        let mut groups: Vec<StemGroup> = Vec::new();
        let mut group_ids: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        for (stem, hit) in stems {
            let id = *group_ids
                .entry(stem[..stem_key].to_vec())
                .or_insert_with(|| {
                    groups.push((stem[..stem_key].to_vec(), Vec::new()));
                    groups.len() - 1
                });
            groups[id].1.push((stem.into_boxed_slice(), hit));
        }
        for (_, _, info) in &mut words {
            info.index_phrases(&seed);
        }
        let mut filter = Filter::new();
        for (word, _, _) in &words {
            let k = seed.key(&padded(word), 0, word.len());
            filter.words.insert(seed.hash(&k));
        }
        for (_, group) in &groups {
            for (stem, _) in group {
                filter.add_stem(&seed, stem);
            }
        }
        let mut exact = Vec::new();
        let words = words
            .into_iter()
            .map(|(word, targets, info)| {
                let tag = tagged(&targets, &info, &mut exact);
                (word, info, tag)
            })
            .collect::<Vec<_>>();
        WordIndex {
            filter,
            longest: words.iter().map(|(w, _, _)| w.len()).max().unwrap_or(0),
            words: Table::build_tagged(&seed, words),
            exact,
            stems: Table::build(&seed, literal_groups(groups)),
            stem_key,
            seed,
        }
    }
}

fn literal_groups(groups: Vec<StemGroup>) -> Vec<(Vec<u8>, Stems)> {
    let literal = |(stem, hit): (Box<[u8]>, Hit)| (Literal::new(&stem), hit);
    groups
        .into_iter()
        .map(|(key, group)| (key, group.into_iter().map(literal).collect()))
        .collect()
}

/// Where sequence parts were found: first end and last start.
#[derive(Default)]
pub struct Parts {
    pub first_end: Vec<usize>,
    pub last_start: Vec<usize>,
}

impl Parts {
    /// Forgets every part of `0..n`.
    pub fn reset(&mut self, n: usize) {
        self.first_end.clear();
        self.first_end.resize(n, usize::MAX);
        self.last_start.clear();
        self.last_start.resize(n, 0);
    }

    pub fn seen(&self, p: usize) -> bool {
        self.first_end[p] != usize::MAX
    }

    #[inline]
    pub fn add(&mut self, p: usize, start: usize, end: usize) {
        self.first_end[p] = self.first_end[p].min(end);
        self.last_start[p] = self.last_start[p].max(start);
    }
}

/// The per-scan table of distinct words is kept at most 1/LOAD full.
const LOAD: usize = 2;

/// A distinct word of the scanned text (a key flattened into one 32-byte slot).
#[derive(Clone, Copy)]
struct Seen {
    lo: u64,
    /// For words over 16 bytes: where the word first occurs (to compare bytes).
    hi: u64,
    len: u32,
    /// 0 when later occurrences need no work, else 1 + index into `acts`, with `LEADS` set
    /// when the word leads phrases.
    act: u32,
    /// The slot is filled only when this is the table's current generation.
    gen: u32,
}

const NO_WORD: Seen = Seen {
    lo: 0,
    hi: 0,
    len: 0,
    act: 0,
    gen: 0,
};
const LEADS: u32 = 1 << 31;
/// `Act::phrases` of a word that leads no phrase.
const NO_PHRASES: u32 = u32::MAX;

/// A distinct word whose occurrences matter: it leads phrases or stands for sequence parts.
struct Act {
    len: u32,
    first: u32,
    /// Index into `WordIndex::words` when the word leads phrases.
    phrases: u32,
    /// The (sequence part, byte length) pairs found as this word or a stem of it:
    /// `Tables::parts[parts.0..parts.1]`.
    parts: (u32, u32),
}

/// Buffers of a scan, kept between scans to spare allocations. The word table is never
/// cleared: a new scan (or a grown table) starts a new generation, and slots of older ones
/// count as empty.
#[derive(Default)]
pub struct Tables {
    slots: Vec<Seen>,
    gen: u32,
    acts: Vec<Act>,
    parts: Vec<(u32, u32)>,
    /// Per act + 1 (0: a sink for words without one): start of the last occurrence.
    lasts: Vec<u32>,
    /// `act << 32 | start` of each occurrence of a word that leads phrases, in text order, in
    /// `occ[..n_occ]` (kept longer, so that recording needs no branch).
    occ: Vec<u64>,
    /// Per act + 1: what the phrase checks at an occurrence read first (`Look`), and where its
    /// phrases' flags start in `found`.
    looks: Vec<Look>,
    base: Vec<u32>,
    /// Per phrase of each word that leads phrases: has its first occurrence been found.
    found: Vec<bool>,
}

/// What the phrase checks read at each occurrence of a word that leads phrases, before they
/// know that one may follow: in one place, so that an occurrence after which none can costs one
/// load of it (not of the act, then of the word's `WordInfo` in the static table).
#[derive(Clone, Copy, Default)]
struct Look {
    /// The bits of the word's phrases (`WordInfo::phrase_bits`) that some phrase not found yet
    /// has (0: nothing to look for).
    left: u64,
    /// `WordInfo::phrase_key` and the word's byte length.
    key: u32,
    len: u32,
}

/// One scan over a text's words, in two phases: `word` looks each word up (one hash probe,
/// no other data-dependent branch) and records what later checks need; `finish` then checks
/// the phrases at the recorded occurrences of their lead words, each until it is found.
pub struct Scan<'a, F: FnMut(Target, usize, usize)> {
    index: &'a WordIndex,
    /// The text (`..n`) and `PAD` zero bytes.
    buf: &'a [u8],
    n: usize,
    /// Is the character at a byte offset a word character.
    is_word_at: &'a dyn Fn(usize) -> bool,
    t: Tables,
    mask: usize,
    count: usize,
    n_occ: usize,
    /// Reports one counted occurrence: (target, start, end).
    report: F,
}

impl<'a, F: FnMut(Target, usize, usize)> Scan<'a, F> {
    pub fn new(
        index: &'a WordIndex,
        buf: &'a [u8],
        n: usize,
        is_word_at: &'a dyn Fn(usize) -> bool,
        mut t: Tables,
        report: F,
    ) -> Self {
        assert!(buf.len() >= n + PAD && n < (u32::MAX >> 1) as usize);
        // Room for one distinct word per 8 bytes of text (most texts have fewer), up to a
        // size that stays in cache; the table grows past it when a text needs it.
        let cap = (n / 4).next_power_of_two().clamp(64, 4096);
        Self::new_generation(&mut t, cap);
        t.lasts.clear();
        t.lasts.push(0);
        t.occ.clear();
        t.occ.resize(64, 0);
        t.acts.clear();
        t.parts.clear();
        Scan {
            index,
            buf,
            n,
            is_word_at,
            t,
            mask: cap - 1,
            count: 0,
            n_occ: 0,
            report,
        }
    }

    /// Empties the first `cap` slots of the word table (by starting a generation).
    fn new_generation(t: &mut Tables, cap: usize) {
        if t.slots.len() < cap {
            t.slots.resize(cap, NO_WORD);
        }
        t.gen = t.gen.wrapping_add(1);
        if t.gen == 0 {
            // After 2^32 generations: really clear, once.
            t.slots.fill(NO_WORD);
            t.gen = 1;
        }
    }

    #[inline(always)]
    fn slot(&self, lo: u64, hi: u64, len: u32) -> usize {
        let key = Key {
            lo,
            hi: if len <= 16 { hi } else { 0 },
            len,
        };
        self.index.seed.hash(&key) as usize & self.mask
    }

    fn grow(&mut self) {
        let (old_gen, cap) = (self.t.gen, (self.mask + 1) * 2);
        let filled: Vec<Seen> = self.t.slots[..=self.mask]
            .iter()
            .filter(|s| s.gen == old_gen)
            .copied()
            .collect();
        Self::new_generation(&mut self.t, cap);
        self.mask = cap - 1;
        let gen = self.t.gen;
        for s in filled {
            let mut i = self.slot(s.lo, s.hi, s.len);
            while self.t.slots[i].gen == gen {
                i = (i + 1) & self.mask;
            }
            self.t.slots[i] = Seen { gen, ..s };
        }
    }

    /// One word of the text: `buf[start..end]`.
    #[inline(always)]
    pub fn word(&mut self, start: usize, end: usize) {
        let (len, index) = (end - start, self.index);
        if len > index.longest {
            if index
                .filter
                .stem_may_match(&index.seed, self.buf, start, len)
            {
                self.long_word(start, end);
            }
            return;
        }
        let key = index.seed.key(self.buf, start, len);
        let h = index.seed.hash(&key);
        if !index.filter.words.contains(h)
            && !index
                .filter
                .stem_may_match(&index.seed, self.buf, start, len)
        {
            return; // (Recording it would change nothing: see `record`.)
        }
        let mut i = (h as usize) & self.mask;
        let gen = self.t.gen;
        loop {
            let s = &self.t.slots[i];
            if s.gen != gen {
                break;
            }
            if s.lo == key.lo
                && s.len == key.len
                && (if len <= 16 {
                    s.hi == key.hi
                } else {
                    self.buf[s.hi as usize..s.hi as usize + len] == self.buf[start..end]
                })
            {
                let act = s.act;
                self.record(act, start);
                return;
            }
            i = (i + 1) & self.mask;
        }
        self.first(key, i, start, end);
    }

    /// Records an occurrence of a word with `act` (see `Seen`) without branching on it.
    #[inline(always)]
    fn record(&mut self, act: u32, start: usize) {
        let t = &mut self.t;
        t.lasts[(act & !LEADS) as usize] = start as u32;
        if self.n_occ == t.occ.len() {
            t.occ.resize(t.occ.len() * 2, 0);
        }
        t.occ[self.n_occ] = ((act & !LEADS) as u64) << 32 | start as u64;
        self.n_occ += (act >> 31) as usize;
    }

    /// Exact and stem keywords of a word: reported at once (keywords) or collected (parts).
    /// Returns the index of the word in `WordIndex::words` if it leads phrases.
    fn lookup(&mut self, key: Option<&Key>, start: usize, end: usize) -> Option<u32> {
        let (index, buf) = (self.index, self.buf);
        let word = &buf[start..end];
        let report = &mut self.report;
        let parts = &mut self.t.parts;
        let mut hit = |h: &Hit| match h.target {
            Target::SeqPart(p) => parts.push((p, h.len)),
            t => report(t, start, start + h.len as usize),
        };
        let mut phrases = None;
        let found = key.and_then(|k| index.words.get_tagged(index.seed.hash(k), k, word));
        if let Some((w, tag)) = found {
            let len = word.len() as u32;
            if tag & MANY == 0 {
                if let Some(target) = unpack(tag as u32) {
                    hit(&Hit { target, len });
                }
            } else {
                let from = tag as u32 as usize;
                let n = ((tag >> 32) & ((MANY >> 32) - 1)) as usize;
                for &target in &index.exact[from..from + n] {
                    hit(&Hit { target, len });
                }
            }
            if tag & PHRASE_LEAD != 0 {
                phrases = Some(w);
            }
        }
        if word.len() >= index.stem_key
            && !index.stems.is_empty()
            && index
                .filter
                .stem_may_match(&index.seed, buf, start, word.len())
        {
            let k = index.seed.key(buf, start, index.stem_key);
            let h = index.seed.hash(&k);
            if let Some(g) = index.stems.get(h, &k, &word[..index.stem_key]) {
                let loaded = load16(buf, start);
                for (stem, h) in index.stems.value(g) {
                    if stem.is_at_loaded(loaded, buf, start, end) {
                        hit(h);
                    }
                }
            }
        }
        phrases
    }

    /// A word longer than every whole word and phrase lead: only stems can match it.
    #[cold]
    fn long_word(&mut self, start: usize, end: usize) {
        let from = self.t.parts.len();
        self.lookup(None, start, end);
        for (p, len) in self.t.parts.drain(from..) {
            (self.report)(Target::SeqPart(p), start, start + len as usize);
        }
    }

    /// The first occurrence of a word: look it up, report its exact and stem keywords, and
    /// remember it in slot `i`.
    #[cold]
    fn first(&mut self, key: Key, i: usize, start: usize, end: usize) {
        let from = self.t.parts.len() as u32;
        let phrases = self.lookup(Some(&key), start, end);
        let to = self.t.parts.len() as u32;
        let mut act = 0;
        if phrases.is_some() || to > from {
            act = self.t.acts.len() as u32 + 1;
            if phrases.is_some() {
                act |= LEADS;
            }
            let (len, first, phrases) = (
                (end - start) as u32,
                start as u32,
                phrases.unwrap_or(NO_PHRASES),
            );
            self.t.acts.push(Act {
                len,
                first,
                phrases,
                parts: (from, to),
            });
            self.t.lasts.push(0);
        }
        let hi = if key.len > 16 { start as u64 } else { key.hi };
        self.t.slots[i] = Seen {
            lo: key.lo,
            hi,
            len: key.len,
            act,
            gen: self.t.gen,
        };
        self.record(act, start);
        self.count += 1;
        if self.count * LOAD > self.mask + 1 {
            self.grow();
        }
    }

    /// Does the phrase `p` occur after the word ending at `end` (`after`: the 16 bytes there).
    #[inline(always)]
    fn phrase_after(&self, p: &Phrase, after: u128, end: usize) -> bool {
        p.rest.is_at_loaded(after, self.buf, end, self.n)
            && !(p.need_right && (self.is_word_at)(end + p.rest.len()))
    }

    /// Ends the scan: reports sequence parts found as words or stems (first and last
    /// occurrence) and the first occurrence of each phrase that counts (of a sequence part,
    /// every one: `Parts` keeps the first and the last). Returns the buffers.
    pub fn finish(mut self) -> Tables {
        let mut t = std::mem::take(&mut self.t);
        let index = self.index;
        t.found.clear();
        t.looks.clear();
        t.looks.push(Look::default());
        t.base.clear();
        t.base.push(0);
        for (a, act) in t.acts.iter().enumerate() {
            let (first, last) = (act.first as usize, t.lasts[a + 1] as usize);
            for &(p, plen) in &t.parts[act.parts.0 as usize..act.parts.1 as usize] {
                (self.report)(Target::SeqPart(p), first, first + plen as usize);
                (self.report)(Target::SeqPart(p), last, last + plen as usize);
            }
            let phrases = (act.phrases != NO_PHRASES).then(|| index.words.value(act.phrases));
            t.looks.push(phrases.map_or(Look::default(), |info| Look {
                left: info.phrase_bits,
                key: info.phrase_key,
                len: act.len,
            }));
            t.base.push(t.found.len() as u32);
            let n = phrases.map_or(0, |info| info.phrases.len());
            t.found.resize(t.found.len() + n, false);
        }
        // The first occurrence of each phrase, in text order (no sort by word): the text
        // after each occurrence of a lead word is loaded once, and compared with the phrases
        // not found yet of its bit (while the bit has any).
        let occ = &t.occ[..self.n_occ];
        for &o in occ {
            let (a, s) = ((o >> 32) as usize, o as u32 as usize);
            let look = t.looks[a];
            if look.left == 0 {
                continue;
            }
            let len = look.len as usize;
            let end = s + len;
            let after = load16(self.buf, end);
            let bit = phrase_bit(&index.seed, look.key, after as u32);
            if look.left & bit == 0 {
                continue;
            }
            let info = index.words.value(t.acts[a - 1].phrases);
            let found = &mut t.found[t.base[a] as usize..];
            let mut all = true;
            for i in info.of_bit(bit) {
                let p = &info.phrases[i];
                if found[i] {
                    continue;
                }
                if !self.phrase_after(p, after, end) {
                    all = false;
                    continue;
                }
                found[i] = true;
                let plen = p.hit.len as usize;
                (self.report)(p.hit.target, s, s + plen);
                if let Target::SeqPart(_) = p.hit.target {
                    // (A sequence part also counts by its last occurrence: the lead word's
                    // last one, or the last before it where the part follows.)
                    let lasts = std::iter::once(t.lasts[a] as usize);
                    let before = occ.iter().rev().filter(|&&o| (o >> 32) as usize == a);
                    let last = lasts.chain(before.map(|&o| o as u32 as usize));
                    if let Some(s) = last.take_while(|&l| l >= s).find(|&l| {
                        let end = l + len;
                        self.phrase_after(p, load16(self.buf, end), end)
                    }) {
                        (self.report)(p.hit.target, s, s + plen);
                    }
                }
            }
            if all {
                t.looks[a].left &= !bit;
            }
        }
        t
    }
}
