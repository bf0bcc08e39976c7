//! The prefix index of a bank: patterns that all start with a multi-byte character (CJK and
//! other scripts' keywords that need no word boundary) found by their first bytes.

use std::collections::HashMap;

use crate::words;

/// Occurrences found by their first `k` bytes: at each candidate start (a lead byte, found a
/// word at a time), a bit filter then a hash table of those bytes give the patterns to
/// compare in full. Compact (fits the L1 cache, unlike an automaton of hundreds of CJK
/// patterns, which misses the cache on most bytes), and the work per start is bounded by the
/// patterns sharing its first `k` bytes.
pub struct Prefix {
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
    pub fn build(cores: &[String]) -> Option<Prefix> {
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

    pub fn for_each(&self, buf: &[u8], n: usize, mut f: impl FnMut(usize, usize, usize)) {
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
