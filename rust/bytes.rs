//! Byte strings as the scans read them: a buffer padded with zero bytes is read 16 bytes at a
//! time, and a known byte string is compared in place by its first 16 bytes, then the rest.

/// Readable zero bytes a scanned buffer must have after the text (it is read by 16-byte loads).
pub const PAD: usize = 16;

/// Pads `bytes` with `PAD` zeros into a fresh buffer (for scanning short strings).
pub fn padded(bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes.len() + PAD);
    v.extend_from_slice(bytes);
    v.extend_from_slice(&[0; PAD]);
    v
}

/// The 16 bytes of `buf` at `at` (readable for `at <= n` in a buffer of `n` bytes and `PAD`).
#[inline(always)]
pub fn load16(buf: &[u8], at: usize) -> u128 {
    u128::from_le_bytes(buf[at..at + 16].try_into().unwrap_or_default())
}

/// `LOW_BYTES[k]`: the mask of the low `k` bytes of a u128 (of the first `k` bytes of a load).
pub const LOW_BYTES: [u128; 17] = {
    let mut m = [0u128; 17];
    let mut k = 1;
    while k <= 16 {
        m[k] = u128::MAX >> (8 * (16 - k));
        k += 1;
    }
    m
};

/// A byte string compared in place: its first 16 bytes (zero-padded) under their mask, then
/// the bytes after them.
#[derive(Debug, Clone)]
pub struct Literal {
    head: u128,
    head_mask: u128,
    tail: Box<[u8]>,
    len: usize,
}

impl Literal {
    pub fn new(bytes: &[u8]) -> Self {
        let head_len = bytes.len().min(16);
        let head_mask = LOW_BYTES[head_len];
        Literal {
            head: load16(&padded(&bytes[..head_len]), 0) & head_mask,
            head_mask,
            tail: bytes[head_len..].into(),
            len: bytes.len(),
        }
    }

    /// The byte length.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The first 4 bytes (zero-padded), little-endian.
    #[inline(always)]
    pub fn first4(&self) -> u32 {
        self.head as u32
    }

    /// The 4 bytes from byte `k < 16` on (zero-padded), little-endian.
    #[inline(always)]
    pub fn first4_at(&self, k: usize) -> u32 {
        (self.head >> (8 * k)) as u32
    }

    /// Does `buf[at..n]` start with this string (`at <= n`, `buf` padded as for `load16`).
    #[inline(always)]
    pub fn is_at(&self, buf: &[u8], at: usize, n: usize) -> bool {
        self.is_at_loaded(load16(buf, at), buf, at, n)
    }

    /// `is_at`, given `load16(buf, at)`.
    #[inline(always)]
    pub fn is_at_loaded(&self, loaded: u128, buf: &[u8], at: usize, n: usize) -> bool {
        let stop = at + self.len;
        stop <= n
            && loaded & self.head_mask == self.head
            && (self.tail.is_empty() || buf[at + 16..stop] == *self.tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_match_in_place() {
        let text = padded("a long text of more than sixteen bytes".as_bytes());
        let n = text.len() - PAD;
        for (s, at, expect) in [
            ("long", 2, true),
            ("long text of more than", 2, true),
            ("long text of more than!", 2, false),
            ("lone", 2, false),
            ("bytes", n - 5, true),
            ("bytes!", n - 5, false),
            ("", 0, true),
        ] {
            assert_eq!(
                Literal::new(s.as_bytes()).is_at(&text, at, n),
                expect,
                "{s:?}"
            );
        }
        assert_eq!(LOW_BYTES[0], 0);
        assert_eq!(LOW_BYTES[1], 0xFF);
        assert_eq!(LOW_BYTES[16], u128::MAX);
    }
}
