//! Hashing byte strings with a per-index random seed, the static open-addressing table both
//! indexes look byte strings up in (the word index's words and stems, the prefix index's first
//! bytes), and the hashed bitset they test first.

use std::hash::BuildHasher;

use crate::bytes::{load16, padded, LOW_BYTES};

/// A byte string as a table key: up to 16 bytes inline, longer ones by a hash of all bytes
/// (then compared in full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Key {
    pub lo: u64,
    pub hi: u64,
    pub len: u32,
}

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = (a as u128) * (b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Random hash keys, one pair per index: a text cannot be crafted to collide in its tables.
#[derive(Debug, Clone, Copy)]
pub struct Seed {
    a: u64,
    b: u64,
}

impl Seed {
    pub fn new() -> Self {
        let s = std::collections::hash_map::RandomState::new();
        Seed {
            a: s.hash_one(0x5eed_u64) | 1,
            b: s.hash_one(0xbeef_u64) | 1,
        }
    }

    /// Key of `buf[start..start + len]`; `buf` must extend at least 16 bytes past `start`
    /// (guaranteed by `PAD`).
    #[inline(always)]
    pub fn key(&self, buf: &[u8], start: usize, len: usize) -> Key {
        if len <= 16 {
            let w = load16(buf, start) & LOW_BYTES[len];
            Key {
                lo: w as u64,
                hi: (w >> 64) as u64,
                len: len as u32,
            }
        } else {
            let mut h = self.a ^ len as u64;
            for c in buf[start..start + len].chunks(16) {
                let mut block = [0u8; 16];
                block[..c.len()].copy_from_slice(c);
                let w = u128::from_le_bytes(block);
                h = fold_mul(h ^ w as u64, self.b ^ (w >> 64) as u64);
            }
            Key {
                lo: h,
                hi: 0,
                len: len as u32,
            }
        }
    }

    #[inline(always)]
    pub fn hash(&self, k: &Key) -> u64 {
        // (`hi` is not part of a long string's key.)
        let hi = if k.len <= 16 { k.hi } else { 0 };
        fold_mul(k.lo ^ self.a, hi ^ self.b ^ ((k.len as u64) << 40))
    }

    /// A hash of four bytes (for filters on the first bytes of a string).
    #[inline(always)]
    pub fn hash4(&self, first4: u32) -> u64 {
        (first4 as u64 ^ self.a).wrapping_mul(self.b)
    }
}

/// A static open-addressing table from byte strings to values (load <= 1/2). Each slot also
/// holds a `u64` tag of the caller's, so that a look-up that needs no more than the tag
/// reads one cache line.
#[derive(Debug)]
pub struct Table<V> {
    slots: Vec<Slot>,
    mask: usize,
    values: Vec<(Box<[u8]>, V)>,
}

/// A key flattened into its slot with the value's index and tag (32 bytes).
#[derive(Debug, Clone, Copy)]
struct Slot {
    lo: u64,
    hi: u64,
    len: u32,
    value: u32,
    tag: u64,
}

const EMPTY: u32 = u32::MAX;

impl<V> Table<V> {
    pub fn build(seed: &Seed, items: Vec<(Vec<u8>, V)>) -> Self {
        Self::build_tagged(seed, items.into_iter().map(|(w, v)| (w, v, 0)).collect())
    }

    /// `build`, with a tag per item (`get_tagged`).
    pub fn build_tagged(seed: &Seed, items: Vec<(Vec<u8>, V, u64)>) -> Self {
        let cap = (items.len() * 2).next_power_of_two().max(16);
        let empty = Slot {
            lo: 0,
            hi: 0,
            len: 0,
            value: EMPTY,
            tag: 0,
        };
        let mut t = Table {
            slots: vec![empty; cap],
            mask: cap - 1,
            values: Vec::new(),
        };
        for (word, value, tag) in items {
            let k = seed.key(&padded(&word), 0, word.len());
            let mut i = seed.hash(&k) as usize & t.mask;
            while t.slots[i].value != EMPTY {
                i = (i + 1) & t.mask;
            }
            t.slots[i] = Slot {
                lo: k.lo,
                hi: k.hi,
                len: k.len,
                value: t.values.len() as u32,
                tag,
            };
            t.values.push((word.into_boxed_slice(), value));
        }
        t
    }

    /// The index of the value of `word`, given its key `k` and hash `h` (`Seed::hash`).
    #[inline]
    pub fn get(&self, h: u64, k: &Key, word: &[u8]) -> Option<u32> {
        self.get_tagged(h, k, word).map(|(v, _)| v)
    }

    /// `get`, with the item's tag.
    #[inline]
    pub fn get_tagged(&self, h: u64, k: &Key, word: &[u8]) -> Option<(u32, u64)> {
        let mut i = h as usize & self.mask;
        loop {
            let s = self.slots[i];
            if s.value == EMPTY {
                return None;
            }
            if s.lo == k.lo
                && s.hi == k.hi
                && s.len == k.len
                && (k.len <= 16 || *self.values[s.value as usize].0 == *word)
            {
                return Some((s.value, s.tag));
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The value at index `i` (from `get`).
    #[inline]
    pub fn value(&self, i: u32) -> &V {
        &self.values[i as usize].1
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// log2 of the bits of a `HashBits`.
const HASH_BITS: u32 = 15;

/// A set of hashes by their top bits: false positives, no false negatives. 4 KB, so that
/// testing it (once per text word or character start) stays in the L1 cache.
#[derive(Debug)]
pub struct HashBits(Box<[u64; 1 << (HASH_BITS - 6)]>);

impl HashBits {
    pub fn new() -> Self {
        HashBits(Box::new([0; 1 << (HASH_BITS - 6)]))
    }

    #[inline(always)]
    fn bit(h: u64) -> usize {
        (h >> (64 - HASH_BITS)) as usize
    }

    pub fn insert(&mut self, h: u64) {
        let i = Self::bit(h);
        self.0[i >> 6] |= 1 << (i & 63);
    }

    #[inline(always)]
    pub fn contains(&self, h: u64) -> bool {
        let i = Self::bit(h);
        self.0[i >> 6] >> (i & 63) & 1 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_find_short_and_long_strings() {
        let seed = Seed::new();
        let long = "a string longer than sixteen bytes".as_bytes().to_vec();
        let items = vec![
            (b"one".to_vec(), 1),
            (long.clone(), 2),
            (b"two".to_vec(), 3),
        ];
        let t = Table::build(&seed, items);
        let get = |s: &[u8]| {
            let k = seed.key(&padded(s), 0, s.len());
            t.get(seed.hash(&k), &k, s).map(|i| *t.value(i))
        };
        assert_eq!(get(b"one"), Some(1));
        assert_eq!(get(&long), Some(2));
        assert_eq!(get(b"two"), Some(3));
        assert_eq!(get(b"three"), None);
        assert_eq!(get(&long[..20]), None);
        let mut bits = HashBits::new();
        bits.insert(seed.hash(&seed.key(&padded(b"one"), 0, 3)));
        assert!(bits.contains(seed.hash(&seed.key(&padded(b"one"), 0, 3))));
    }
}
