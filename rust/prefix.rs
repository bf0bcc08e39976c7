//! The prefix index of a bank: patterns that all start with a multi-byte character (CJK and
//! other scripts' keywords that need no word boundary) found by their first bytes.

use std::collections::HashMap;

use crate::bytes::{Literal, PAD};
use crate::table::{HashBits, Seed, Table};

/// Occurrences found by their first `k` bytes: at each candidate start (a lead byte, found a
/// word at a time), a hashed bitset then a table of those bytes give the patterns to compare
/// in full. Compact (fits the L1 cache, unlike an automaton of hundreds of CJK patterns, which
/// misses the cache on most bytes), and the work per start is bounded by the patterns sharing
/// its first `k` bytes.
pub struct Prefix {
    /// Candidate starts are bytes with these top bits set (0b11 or 0b111).
    top: u32,
    first: [bool; 256],
    /// The length of the keys: the first bytes of the shortest pattern, at most 8.
    k: usize,
    seed: Seed,
    filter: HashBits,
    /// Patterns (and their ids) by their first `k` bytes.
    groups: Table<Group>,
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
        let k = cores.iter().map(|c| c.len()).min()?.min(8);
        let seed = Seed::new();
        let mut first = [false; 256];
        let mut filter = HashBits::new();
        let mut groups: Vec<(Vec<u8>, Group)> = Vec::new();
        let mut ids: HashMap<&[u8], usize> = HashMap::new();
        for (pid, core) in cores.iter().enumerate() {
            let b = core.as_bytes();
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
            top: if low >= 0xE0 { 3 } else { 2 },
            first,
            k,
            groups: Table::build(&seed, groups),
            seed,
            filter,
        })
    }

    /// Patterns starting at `at` of `buf[..n]` (followed by `PAD` readable bytes).
    #[inline(always)]
    fn at(&self, buf: &[u8], n: usize, at: usize, f: &mut impl FnMut(usize, usize, usize)) {
        if !self.first[buf[at] as usize] || at + self.k > n {
            return;
        }
        let key = self.seed.key(buf, at, self.k);
        let h = self.seed.hash(&key);
        if !self.filter.contains(h) {
            return;
        }
        if let Some(g) = self.groups.get(h, &key, &buf[at..at + self.k]) {
            for (p, id) in self.groups.value(g) {
                if p.is_at(buf, at, n) {
                    f(*id as usize, at, at + p.len());
                }
            }
        }
    }

    pub fn for_each(&self, buf: &[u8], n: usize, mut f: impl FnMut(usize, usize, usize)) {
        assert!(buf.len() >= n + PAD);
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
