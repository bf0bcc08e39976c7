//! The prefix index of a bank: patterns that all start with a multi-byte character (CJK and
//! other scripts' keywords that need no word boundary) found by their first bytes.

use std::collections::HashMap;

use crate::bytes::{Literal, PAD};
use crate::simd::Lead;
use crate::table::{HashBits, Seed, Table};

/// Occurrences found by their first `k` bytes: at each candidate start (a lead byte), a hashed
/// bitset then a table of those bytes give the patterns to compare in full. Compact (fits the
/// L1 cache, unlike an automaton of hundreds of CJK patterns, which misses the cache on most
/// bytes), and the work per start is bounded by the patterns sharing its first `k` bytes.
/// The few patterns shorter than `LONG` bytes (one CJK character) are kept apart, so that they
/// do not shorten `k` (a key of one Han character would group most patterns by it): a bit per
/// pair of first bytes picks the starts to compare them at.
pub struct Prefix {
    /// Candidate starts: the lead bytes of characters at least as long as the shortest
    /// first character of a pattern.
    lead: Lead,
    first: [bool; 256],
    /// The length of the keys: the first bytes of the shortest pattern, at most 8.
    k: usize,
    seed: Seed,
    filter: HashBits,
    /// Patterns (and their ids) by their first `k` bytes.
    groups: Table<Group>,
    /// Patterns shorter than `LONG` bytes, and a bit per pair of their first two bytes.
    short: Group,
    short_pairs: Box<[u64; 1024]>,
}

/// Patterns at least this long (two CJK characters) are found by their first bytes' table.
const LONG: usize = 6;

/// The bit of a pair of first bytes in `short_pairs`.
#[inline(always)]
fn pair(b0: u8, b1: u8) -> usize {
    (b0 as usize) << 8 | b1 as usize
}

/// The patterns sharing their first `k` bytes, with their ids.
type Group = Vec<(Literal, u32)>;

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
        let mut first = [false; 256];
        let mut filter = HashBits::new();
        let mut groups: Vec<(Vec<u8>, Group)> = Vec::new();
        let mut ids: HashMap<&[u8], usize> = HashMap::new();
        let mut short = Group::new();
        let mut short_pairs = Box::new([0u64; 1024]);
        for (pid, core) in cores.iter().enumerate() {
            let b = core.as_bytes();
            if b.len() < k {
                // (Two bytes at least: the pattern starts with a multi-byte character.)
                let p = pair(b[0], b.get(1).copied().unwrap_or(0));
                short_pairs[p / 64] |= 1 << (p % 64);
                short.push((Literal::new(b), pid as u32));
                continue;
            }
            first[b[0] as usize] = true;
            let g = *ids.entry(&b[..k]).or_insert_with(|| {
                let key = seed.key(&crate::bytes::padded(&b[..k]), 0, k);
                filter.insert(seed.hash(&key));
                groups.push((b[..k].to_vec(), Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push((Literal::new(b), pid as u32));
        }
        Some(Prefix {
            lead: if low >= 0xE0 { Lead::Wide } else { Lead::Multi },
            first,
            k,
            groups: Table::build(&seed, groups),
            seed,
            filter,
            short,
            short_pairs,
        })
    }

    /// Calls `f(pattern, start, end)` for every occurrence in `buf[..n]` (followed by `PAD`
    /// readable bytes).
    ///
    /// Candidate starts come a 64-byte block at a time; most fail the two cheap tests (first
    /// byte, hashed bitset), so the table lookup and the compares are kept out of line.
    pub fn for_each(&self, buf: &[u8], n: usize, mut f: impl FnMut(usize, usize, usize)) {
        assert!(buf.len() >= n + PAD);
        for base in (0..n).step_by(64) {
            let mut starts = crate::simd::lead_mask(&buf[..n], base, self.lead);
            while starts != 0 {
                let at = base + starts.trailing_zeros() as usize;
                starts &= starts - 1;
                let p = pair(buf[at], buf[at + 1]);
                if self.short_pairs[p / 64] >> (p % 64) & 1 == 1 {
                    self.at_short(buf, n, at, &mut f);
                }
                if !self.first[buf[at] as usize] {
                    continue;
                }
                let key = self.seed.key(buf, at, self.k);
                let h = self.seed.hash(&key);
                if self.filter.contains(h) {
                    self.at(buf, n, at, h, &mut f);
                }
            }
        }
    }

    /// Short patterns starting at `at` of `buf[..n]`.
    #[inline(never)]
    fn at_short(&self, buf: &[u8], n: usize, at: usize, f: &mut impl FnMut(usize, usize, usize)) {
        for (p, id) in &self.short {
            if p.is_at(buf, at, n) {
                f(*id as usize, at, at + p.len());
            }
        }
    }

    /// Patterns starting at `at` of `buf[..n]`, whose first `k` bytes hash to `h`.
    #[inline(never)]
    fn at(&self, buf: &[u8], n: usize, at: usize, h: u64, f: &mut impl FnMut(usize, usize, usize)) {
        if at + self.k > n {
            return;
        }
        let key = self.seed.key(buf, at, self.k);
        if let Some(g) = self.groups.get(h, &key, &buf[at..at + self.k]) {
            for (p, id) in self.groups.value(g) {
                if p.is_at(buf, at, n) {
                    f(*id as usize, at, at + p.len());
                }
            }
        }
    }
}
