//! The prefix index of a bank: patterns that all start with a multi-byte character (CJK and
//! other scripts' keywords that need no word boundary) found by their first bytes.

use std::collections::HashMap;

use crate::bytes::{Literal, LOW_BYTES, PAD};
use crate::simd::Lead;
use crate::table::{HashBits, Seed, Table};

/// Occurrences found by their first `k` bytes: at each candidate start (a lead byte), a bit per
/// pair of first bytes, a hashed bitset then a table of those bytes give the patterns to
/// compare in full (the pair's bit rejects most characters of a script that a few patterns
/// start with, as Cyrillic or Arabic, for less than the hash). Compact (fits the
/// L1 cache, unlike an automaton of hundreds of CJK patterns, which misses the cache on most
/// bytes), and the work per start is bounded by the patterns sharing its first `k` bytes.
/// The few patterns shorter than `LONG` bytes (one CJK character) are kept apart, so that they
/// do not shorten `k` (a key of one Han character would group most patterns by it): a bit of
/// their own per pair of first bytes picks the starts to compare them at.
///
/// Within a group, the pattern that is the key itself matches by the lookup alone, and the
/// longer ones are compared only when a bit of the bytes after the key says they may match
/// (most groups' patterns differ there: 证明 leads 证明一下, 证明这, 证明所有, ...). A pattern
/// whose caller needs no more occurrences (a keyword counts once) is *settled* for the rest of
/// the scan: its later occurrences are not reported.
pub struct Prefix {
    /// Candidate starts: the lead bytes of characters at least as long as the shortest
    /// first character of a pattern.
    lead: Lead,
    /// Per pair of first bytes (`pair`): a bit for `short` patterns, a bit for the others, in
    /// one cache line (`[short, long]` words of 64 pairs).
    pairs: Box<[[u64; 2]; 1024]>,
    /// The length of the keys: the first bytes of the shortest pattern, at most 8.
    k: usize,
    seed: Seed,
    filter: HashBits,
    /// Patterns (and their ids) by their first `k` bytes.
    groups: Table<Group>,
    /// Patterns shorter than `LONG` bytes.
    short: Vec<(Literal, u32)>,
    /// The number of patterns.
    n_patterns: usize,
}

/// Patterns at least this long (two CJK characters) are found by their first bytes' table.
const LONG: usize = 6;

/// The bit of a pair of first bytes in `pairs`.
#[inline(always)]
fn pair(b0: u8, b1: u8) -> usize {
    (b0 as usize) << 8 | b1 as usize
}

/// The patterns (their ids) sharing their first `k` bytes.
#[derive(Default)]
struct Group {
    /// The pattern of exactly those bytes.
    whole: Option<u32>,
    /// The longer patterns, each with its bit (`next_bit`) of the bytes after the key.
    longer: Vec<(Literal, u32, u64)>,
    /// The mask of the bytes after the key that the bits are by (1 to 3 bytes: no more than the
    /// shortest rest of `longer`), and the bits of `longer`.
    next_key: u32,
    next_bits: u64,
}

impl Group {
    /// Sets `next_key`, `next_bits` and the bits of `longer`, whose patterns are `k` bytes
    /// longer than their rest.
    fn index(&mut self, seed: &Seed, k: usize) {
        let Some(shortest) = self.longer.iter().map(|(p, _, _)| p.len() - k).min() else {
            return;
        };
        self.next_key = LOW_BYTES[shortest.min(3)] as u32;
        for (p, _, bit) in &mut self.longer {
            *bit = next_bit(seed, self.next_key, p.first4_at(k));
            self.next_bits |= *bit;
        }
    }
}

/// The bit (of 64) of the first bytes (`key`, a mask of them) after a group's key.
#[inline(always)]
fn next_bit(seed: &Seed, key: u32, first4: u32) -> u64 {
    1 << (seed.hash4(first4 & key) >> 58)
}

impl Prefix {
    /// `None` unless every pattern starts with a multi-byte character.
    pub fn build(cores: &[String]) -> Option<Prefix> {
        let firsts = cores
            .iter()
            .map(|c| c.as_bytes().first().copied().unwrap_or(0));
        let low = firsts.min()?;
        if low < 0xC0 {
            return None;
        }
        let shortest = cores.iter().map(|c| c.len()).min()?;
        let k = cores
            .iter()
            .map(|c| c.len())
            .filter(|&n| n >= LONG)
            .min()
            .unwrap_or(shortest)
            .min(8);
        let seed = Seed::new();
        let mut filter = HashBits::new();
        let mut groups: Vec<(Vec<u8>, Group)> = Vec::new();
        let mut ids: HashMap<&[u8], usize> = HashMap::new();
        let mut short = Vec::new();
        let mut pairs = Box::new([[0u64; 2]; 1024]);
        for (pid, core) in cores.iter().enumerate() {
            let b = core.as_bytes();
            // (Two bytes at least: the pattern starts with a multi-byte character.)
            let p = pair(b[0], b.get(1).copied().unwrap_or(0));
            pairs[p / 64][(b.len() >= k) as usize] |= 1 << (p % 64);
            if b.len() < k {
                short.push((Literal::new(b), pid as u32));
                continue;
            }
            let g = *ids.entry(&b[..k]).or_insert_with(|| {
                let key = seed.key(&crate::bytes::padded(&b[..k]), 0, k);
                filter.insert(seed.hash(&key));
                groups.push((b[..k].to_vec(), Group::default()));
                groups.len() - 1
            });
            let group = &mut groups[g].1;
            if b.len() == k {
                group.whole = Some(pid as u32);
            } else {
                group.longer.push((Literal::new(b), pid as u32, 0));
            }
        }
        for (_, group) in &mut groups {
            group.index(&seed, k);
        }
        Some(Prefix {
            lead: if low >= 0xE0 { Lead::Wide } else { Lead::Multi },
            pairs,
            k,
            groups: Table::build(&seed, groups),
            seed,
            filter,
            short,
            n_patterns: cores.len(),
        })
    }

    /// Calls `f(pattern, start, end)` for every occurrence in `buf[..n]` (followed by `PAD`
    /// readable bytes) of a pattern not settled: `f` returns `true` when the pattern needs no
    /// more occurrences. `settled` is the scan's scratch (any content).
    ///
    /// Candidate starts come a 64-byte block at a time; most fail the two cheap tests (first
    /// bytes' pair, hashed bitset), so the table lookup and the compares are kept out of line.
    pub fn for_each(
        &self,
        buf: &[u8],
        n: usize,
        settled: &mut Vec<u64>,
        f: impl FnMut(usize, usize, usize) -> bool,
    ) {
        assert!(buf.len() >= n + PAD);
        settled.clear();
        settled.resize(self.n_patterns.div_ceil(64), 0);
        let mut found = Found { settled, f };
        for base in (0..n).step_by(64) {
            let mut starts = crate::simd::lead_mask(&buf[..n], base, self.lead);
            while starts != 0 {
                let at = base + starts.trailing_zeros() as usize;
                starts &= starts - 1;
                let p = pair(buf[at], buf[at + 1]);
                let [short, long] = self.pairs[p / 64];
                if short >> (p % 64) & 1 == 1 {
                    self.at_short(buf, n, at, &mut found);
                }
                if long >> (p % 64) & 1 == 0 {
                    continue;
                }
                let key = self.seed.key(buf, at, self.k);
                let h = self.seed.hash(&key);
                if self.filter.contains(h) {
                    self.at(buf, n, at, h, &mut found);
                }
            }
        }
    }

    /// Short patterns starting at `at` of `buf[..n]`.
    #[inline(never)]
    fn at_short<F: FnMut(usize, usize, usize) -> bool>(
        &self,
        buf: &[u8],
        n: usize,
        at: usize,
        found: &mut Found<F>,
    ) {
        for (p, id) in &self.short {
            if p.is_at(buf, at, n) {
                found.report(*id, at, at + p.len());
            }
        }
    }

    /// Patterns starting at `at` of `buf[..n]`, whose first `k` bytes hash to `h`.
    #[inline(never)]
    fn at<F: FnMut(usize, usize, usize) -> bool>(
        &self,
        buf: &[u8],
        n: usize,
        at: usize,
        h: u64,
        found: &mut Found<F>,
    ) {
        if at + self.k > n {
            return;
        }
        let key = self.seed.key(buf, at, self.k);
        let Some(g) = self.groups.get(h, &key, &buf[at..at + self.k]) else {
            return;
        };
        let group = self.groups.value(g);
        if let Some(id) = group.whole {
            found.report(id, at, at + self.k);
        }
        if group.next_bits == 0 {
            return;
        }
        let next = u32::from_le_bytes(
            buf[at + self.k..at + self.k + 4]
                .try_into()
                .unwrap_or_default(),
        );
        let bit = next_bit(&self.seed, group.next_key, next);
        if group.next_bits & bit == 0 {
            return;
        }
        for (p, id, b) in &group.longer {
            if *b == bit && p.is_at(buf, at, n) {
                found.report(*id, at, at + p.len());
            }
        }
    }
}

/// The caller's `f` and the patterns it settled (a bit per pattern).
struct Found<'a, F> {
    settled: &'a mut Vec<u64>,
    f: F,
}

impl<F: FnMut(usize, usize, usize) -> bool> Found<'_, F> {
    /// An occurrence of pattern `id`: reported unless the pattern is settled.
    #[inline(always)]
    fn report(&mut self, id: u32, start: usize, end: usize) {
        let (w, bit) = (id as usize / 64, 1u64 << (id % 64));
        if self.settled[w] & bit == 0 && (self.f)(id as usize, start, end) {
            self.settled[w] |= bit;
        }
    }
}
