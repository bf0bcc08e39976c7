//! Byte-class bit masks, 64 bytes at a time: SSE2 on x86_64 (part of its baseline), a plain
//! loop elsewhere; the skeleton pass's masks by AVX2 where the CPU has it (`Avx2`). The word
//! masks stay SSE2: by AVX2 (a call per text) they measured slower on long English text. LLVM
//! does not turn the plain loop into vector code (it runs at ~2 ns/byte, the SSE2 form at
//! ~0.1 ns/byte), hence the explicit intrinsics.

/// Which bytes a mask marks.
#[derive(Clone, Copy)]
enum Pick {
    /// ASCII word characters: `0-9`, `a-z`, `A-Z`, `_` (text::Class::Word below 0x80).
    Word,
    Digit,
    Question,
    /// `)` or a line feed.
    Mark,
    /// The first byte of a character of 2 to 4 bytes (0xC0 and up).
    Lead2,
    /// The first byte of a character of 3 or 4 bytes (0xE0 and up).
    Lead3,
    /// A blank of a structure skeleton: space, tab, line feed, VT, FF, CR.
    Blank,
    /// An anchor of a structure skeleton (`skeleton::is_anchor`): ASCII digits and marks, and
    /// the non-ASCII marks' bytes 0x80-0x89.
    Anchor,
    /// What may start a capital of a name: `A-Z`, or 0xD0 (Cyrillic А-Я, Ё).
    Capital,
    /// A backtick (code fences).
    Backtick,
}

#[inline(always)]
fn scalar_pick(b: u8, pick: Pick) -> bool {
    match pick {
        Pick::Word => b.is_ascii_alphanumeric() || b == b'_',
        Pick::Digit => b.is_ascii_digit(),
        Pick::Question => b == b'?',
        Pick::Mark => b == b')' || b == b'\n',
        Pick::Lead2 => b >= 0xC0,
        Pick::Lead3 => b >= 0xE0,
        Pick::Blank => crate::skeleton::is_blank(b),
        Pick::Anchor => crate::skeleton::is_anchor(b),
        Pick::Capital => b.is_ascii_uppercase() || b == 0xD0,
        Pick::Backtick => b == b'`',
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::Pick;
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "sse2")]
    fn load(c: &[u8]) -> __m128i {
        let lo = i64::from_le_bytes(c[0..8].try_into().unwrap_or_default());
        let hi = i64::from_le_bytes(c[8..16].try_into().unwrap_or_default());
        _mm_set_epi64x(hi, lo)
    }

    /// 0xFF where `lo <= byte < lo + n` (unsigned).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn in_range(v: __m128i, lo: u8, n: u8) -> __m128i {
        let d = _mm_sub_epi8(v, _mm_set1_epi8(lo as i8));
        _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8((n - 1) as i8)), d)
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn mask16(c: &[u8], pick: Pick) -> u64 {
        _mm_movemask_epi8(picked(load(c), pick)) as u32 as u64
    }

    /// 0xFF at the bytes of `v` that `pick` marks.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn picked(v: __m128i, pick: Pick) -> __m128i {
        match pick {
            Pick::Word => _mm_or_si128(
                _mm_or_si128(in_range(v, b'a', 26), in_range(v, b'A', 26)),
                _mm_or_si128(
                    in_range(v, b'0', 10),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b'_' as i8)),
                ),
            ),
            Pick::Digit => in_range(v, b'0', 10),
            Pick::Question => _mm_cmpeq_epi8(v, _mm_set1_epi8(b'?' as i8)),
            Pick::Lead2 => in_range(v, 0xC0, 64),
            Pick::Lead3 => in_range(v, 0xE0, 32),
            Pick::Mark => _mm_or_si128(
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b')' as i8)),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)),
            ),
            Pick::Blank => _mm_or_si128(
                in_range(v, b'\t', 5),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8)),
            ),
            Pick::Anchor => {
                let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
                _mm_or_si128(
                    _mm_or_si128(in_range(v, b'(', 24), in_range(v, 0x80, 10)),
                    _mm_or_si128(
                        _mm_or_si128(eq(b'\n'), eq(b'!')),
                        _mm_or_si128(eq(b'^'), eq(b'|')),
                    ),
                )
            }
            Pick::Capital => _mm_or_si128(
                in_range(v, b'A', 26),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(0xD0u8 as i8)),
            ),
            Pick::Backtick => _mm_cmpeq_epi8(v, _mm_set1_epi8(b'`' as i8)),
        }
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    pub fn mask64(c: &[u8; 64], pick: Pick) -> u64 {
        mask16(&c[0..16], pick)
            | mask16(&c[16..32], pick) << 16
            | mask16(&c[32..48], pick) << 32
            | mask16(&c[48..64], pick) << 48
    }

    /// (`Pick::Blank`, `Pick::Anchor`, `Pick::Backtick`) of 64 bytes, each 16 loaded once.
    #[inline]
    #[target_feature(enable = "sse2")]
    pub fn skeleton_mask64(c: &[u8; 64]) -> (u64, u64, u64) {
        let (mut blank, mut anchor, mut tick) = (0u64, 0u64, 0u64);
        for k in 0..4 {
            let v = load(&c[16 * k..16 * k + 16]);
            let bits = |pick| _mm_movemask_epi8(picked(v, pick)) as u32 as u64;
            blank |= bits(Pick::Blank) << (16 * k);
            anchor |= bits(Pick::Anchor) << (16 * k);
            tick |= bits(Pick::Backtick) << (16 * k);
        }
        (blank, anchor, tick)
    }

    #[target_feature(enable = "sse2")]
    pub fn word_bits(bytes: &[u8], out: &mut Vec<u64>) {
        super::word_bits_by(bytes, out, |c, pick| mask64(c, pick))
    }

    #[target_feature(enable = "sse2")]
    pub fn or_word_bits(bytes: &[u8], out: &mut [u64]) {
        super::or_word_bits_by(bytes, out, |c, pick| mask64(c, pick))
    }

    #[target_feature(enable = "sse2")]
    pub fn feature_bits(bytes: &[u8], marks: &mut Vec<u64>) -> (u64, u64) {
        super::feature_bits_by(bytes, marks, |c, pick| mask64(c, pick))
    }
}

/// AVX2 forms, for the CPUs that have it (checked at run time: not part of the x86_64 baseline).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx2")]
    fn load(c: &[u8; 32]) -> __m256i {
        // SAFETY: `c` has 32 readable bytes; the load is unaligned.
        unsafe { _mm256_loadu_si256(c.as_ptr().cast()) }
    }

    /// 0xFF where `lo <= byte < lo + n` (unsigned).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn in_range(v: __m256i, lo: u8, n: u8) -> __m256i {
        let d = _mm256_sub_epi8(v, _mm256_set1_epi8(lo as i8));
        _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8((n - 1) as i8)), d)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn eq(v: __m256i, b: u8) -> __m256i {
        _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b as i8))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn bits(m: __m256i) -> u64 {
        _mm256_movemask_epi8(m) as u32 as u64
    }

    /// `sse2::skeleton_mask64`, 32 bytes a step.
    #[target_feature(enable = "avx2")]
    pub fn skeleton_mask64(c: &[u8; 64]) -> (u64, u64, u64) {
        let (mut blank, mut anchor, mut tick) = (0u64, 0u64, 0u64);
        for k in 0..2 {
            let half: &[u8; 32] = c[32 * k..32 * k + 32].try_into().unwrap_or(&[0; 32]);
            let v = load(half);
            let b = _mm256_or_si256(in_range(v, b'\t', 5), eq(v, b' '));
            let a = _mm256_or_si256(
                _mm256_or_si256(in_range(v, b'(', 24), in_range(v, 0x80, 10)),
                _mm256_or_si256(
                    _mm256_or_si256(eq(v, b'\n'), eq(v, b'!')),
                    _mm256_or_si256(eq(v, b'^'), eq(v, b'|')),
                ),
            );
            blank |= bits(b) << (32 * k);
            anchor |= bits(a) << (32 * k);
            tick |= bits(eq(v, b'`')) << (32 * k);
        }
        (blank, anchor, tick)
    }
}

/// Proof that the CPU has AVX2 (`Avx2::detect`), which the AVX2 forms take.
#[derive(Clone, Copy, Debug)]
pub struct Avx2(());

impl Avx2 {
    /// `Some` when the CPU has AVX2 (the check is cached by std: call it once per pass,
    /// not per block).
    #[inline]
    pub fn detect() -> Option<Avx2> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Some(Avx2(()));
        }
        None
    }
}

// The operations, given a mask function (SSE2 or scalar); inlined into each caller.

#[inline(always)]
fn word_bits_by(bytes: &[u8], out: &mut Vec<u64>, mask: impl Fn(&[u8; 64], Pick) -> u64) {
    blocks(bytes, |c| out.push(mask(c, Pick::Word)));
}

#[inline(always)]
fn or_word_bits_by(bytes: &[u8], out: &mut [u64], mask: impl Fn(&[u8; 64], Pick) -> u64) {
    let mut k = 0;
    blocks(bytes, |c| {
        out[k] |= mask(c, Pick::Word);
        k += 1;
    });
}

#[inline(always)]
fn feature_bits_by(
    bytes: &[u8],
    marks: &mut Vec<u64>,
    mask: impl Fn(&[u8; 64], Pick) -> u64,
) -> (u64, u64) {
    let (mut runs, mut questions, mut carry) = (0u64, 0u64, 0u64);
    blocks(bytes, |c| {
        let d = mask(c, Pick::Digit);
        runs += (d & !((d << 1) | carry)).count_ones() as u64;
        carry = d >> 63;
        questions += mask(c, Pick::Question).count_ones() as u64;
        marks.push(mask(c, Pick::Mark));
    });
    (runs, questions)
}

/// Calls `f` on each 64-byte block of `bytes`, the last one padded with zero bytes (which no
/// mask marks).
#[inline(always)]
fn blocks(bytes: &[u8], mut f: impl FnMut(&[u8; 64])) {
    let mut chunks = bytes.chunks_exact(64);
    for c in &mut chunks {
        f(c.try_into().unwrap_or(&[0; 64]));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 64];
        last[..rest.len()].copy_from_slice(rest);
        f(&last);
    }
}

#[allow(dead_code)]
fn scalar_mask64(c: &[u8; 64], pick: Pick) -> u64 {
    c.iter()
        .enumerate()
        .fold(0, |m, (i, &b)| m | (scalar_pick(b, pick) as u64) << i)
}

/// `f` of the 64 bytes of `bytes` at `base` (zero bytes past the end).
#[inline(always)]
fn with_block<T>(bytes: &[u8], base: usize, f: impl Fn(&[u8; 64]) -> T) -> T {
    if let Some(c) = bytes.get(base..base + 64).and_then(|c| c.try_into().ok()) {
        return f(c);
    }
    let mut block = [0u8; 64];
    let rest = bytes.get(base..).unwrap_or_default();
    block[..rest.len()].copy_from_slice(rest);
    f(&block)
}

/// The mask of `pick` over `bytes[base..base + 64]`; bytes past the end are zero bytes.
#[inline(always)]
fn block_mask(bytes: &[u8], base: usize, pick: Pick) -> u64 {
    with_block(bytes, base, |c| {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in `word_bits`: SSE2 is part of the x86_64 baseline.
        unsafe {
            sse2::mask64(c, pick)
        }
        #[cfg(not(target_arch = "x86_64"))]
        scalar_mask64(c, pick)
    })
}

/// (blanks, anchors, backticks) of the structure skeleton `bytes` at `base..base + 64`
/// (`Pick::Blank`, `Pick::Anchor`, `Pick::Backtick`); bytes past the end count as none.
#[inline(always)]
pub fn skeleton_masks(bytes: &[u8], base: usize) -> (u64, u64, u64) {
    with_block(bytes, base, |c| {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in `word_bits`: SSE2 is part of the x86_64 baseline.
        unsafe {
            sse2::skeleton_mask64(c)
        }
        #[cfg(not(target_arch = "x86_64"))]
        (
            scalar_mask64(c, Pick::Blank),
            scalar_mask64(c, Pick::Anchor),
            scalar_mask64(c, Pick::Backtick),
        )
    })
}

/// `skeleton_masks` by AVX2 (half the instructions of SSE2: the skeleton pass spent most of
/// its time outside the anchors on these masks).
#[inline(always)]
pub fn skeleton_masks_avx2(_cpu: Avx2, bytes: &[u8], base: usize) -> (u64, u64, u64) {
    with_block(bytes, base, |c| {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Avx2` is only made by `Avx2::detect`, when the CPU has AVX2.
        unsafe {
            avx2::skeleton_mask64(c)
        }
        #[cfg(not(target_arch = "x86_64"))]
        skeleton_masks(c, 0)
    })
}

/// Bytes of `bytes[base..base + 64]` that may start a capital letter of a name (`A-Z`, 0xD0).
#[inline(always)]
pub fn capital_mask(bytes: &[u8], base: usize) -> u64 {
    block_mask(bytes, base, Pick::Capital)
}

/// Which character starts `lead_mask` marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lead {
    /// Of every character of 2 to 4 bytes.
    Multi,
    /// Of every character of 3 or 4 bytes.
    Wide,
}

/// Bit i set when byte `base + i` of `bytes` (for i < 64) starts a character of `lead`'s
/// kind; `bytes` past its end counts as ASCII. Loops over the non-ASCII characters of a text
/// visit them a block of 64 bytes at a time, skipping ASCII blocks in one test.
#[inline(always)]
pub fn lead_mask(bytes: &[u8], base: usize, lead: Lead) -> u64 {
    let pick = match lead {
        Lead::Multi => Pick::Lead2,
        Lead::Wide => Pick::Lead3,
    };
    block_mask(bytes, base, pick)
}

/// Appends one u64 per 64 bytes of `bytes` (cleared first): bit i of word k is set when byte
/// 64k+i is an ASCII word character. (Inlined: out of line, the fold pass of a long ASCII
/// prompt measured 8% slower.)
#[inline]
pub fn word_bits(bytes: &[u8], out: &mut Vec<u64>) {
    out.clear();
    out.reserve(bytes.len().div_ceil(64));
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the only requirement of these `target_feature(enable = "sse2")` functions is
    // that the CPU supports SSE2, which every x86_64 CPU does (it is part of the baseline).
    unsafe {
        sse2::word_bits(bytes, out)
    }
    #[cfg(not(target_arch = "x86_64"))]
    word_bits_by(bytes, out, scalar_mask64)
}

/// Ors the bits of `word_bits` into `out` (at least one u64 per 64 bytes of `bytes`).
pub fn or_word_bits(bytes: &[u8], out: &mut [u64]) {
    assert!(out.len() >= bytes.len().div_ceil(64));
    #[cfg(target_arch = "x86_64")]
    // SAFETY: as in `word_bits`: SSE2 is part of the x86_64 baseline.
    unsafe {
        sse2::or_word_bits(bytes, out)
    }
    #[cfg(not(target_arch = "x86_64"))]
    or_word_bits_by(bytes, out, scalar_mask64)
}

/// (runs of ASCII digits, '?' bytes) of `bytes`; sets `marks` (cleared first) to the bits of
/// its `)` and line feed bytes, one u64 per 64 bytes.
pub fn feature_bits(bytes: &[u8], marks: &mut Vec<u64>) -> (u64, u64) {
    marks.clear();
    marks.reserve(bytes.len().div_ceil(64));
    #[cfg(target_arch = "x86_64")]
    // SAFETY: as in `word_bits`: SSE2 is part of the x86_64 baseline.
    unsafe {
        sse2::feature_bits(bytes, marks)
    }
    #[cfg(not(target_arch = "x86_64"))]
    feature_bits_by(bytes, marks, scalar_mask64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_match_scalar() {
        let text: Vec<u8> = (0..1000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let mut bits = Vec::new();
        word_bits(&text, &mut bits);
        for (i, &b) in text.iter().enumerate() {
            assert_eq!(
                bits[i / 64] >> (i % 64) & 1 == 1,
                scalar_pick(b, Pick::Word),
                "byte {b}"
            );
        }
        let runs = text
            .iter()
            .enumerate()
            .filter(|&(i, b)| b.is_ascii_digit() && (i == 0 || !text[i - 1].is_ascii_digit()))
            .count() as u64;
        let q = text.iter().filter(|&&b| b == b'?').count() as u64;
        let mut marks = Vec::new();
        assert_eq!(feature_bits(&text, &mut marks), (runs, q));
        for (i, &b) in text.iter().enumerate() {
            assert_eq!(marks[i / 64] >> (i % 64) & 1 == 1, b == b')' || b == b'\n');
        }
        assert_eq!(feature_bits(b"1a22?3?", &mut marks), (3, 2));
    }

    #[test]
    fn skeleton_masks_mark_every_byte_by_its_kind() {
        #[cfg(target_arch = "x86_64")]
        for c in (0..=255u8).collect::<Vec<_>>().chunks_exact(64) {
            let c: &[u8; 64] = c.try_into().unwrap();
            let scalar = (
                scalar_mask64(c, Pick::Blank),
                scalar_mask64(c, Pick::Anchor),
                scalar_mask64(c, Pick::Backtick),
            );
            // SAFETY: SSE2 is part of the x86_64 baseline.
            assert_eq!(unsafe { sse2::skeleton_mask64(c) }, scalar);
            if let Some(cpu) = Avx2::detect() {
                assert_eq!(skeleton_masks_avx2(cpu, c, 0), scalar);
            }
        }
        let all: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        for base in [0, 64, 128, 192, 256, 320, 384, 448, 500] {
            let (blank, anchor, tick) = skeleton_masks(&all, base);
            if let Some(cpu) = Avx2::detect() {
                assert_eq!(skeleton_masks_avx2(cpu, &all, base), (blank, anchor, tick));
            }
            for i in 0..64 {
                let b = all.get(base + i).copied();
                let bit = |m: u64| m >> i & 1 == 1;
                assert_eq!(
                    bit(blank),
                    b.is_some_and(crate::skeleton::is_blank),
                    "{b:?}"
                );
                assert_eq!(
                    bit(anchor),
                    b.is_some_and(crate::skeleton::is_anchor),
                    "{b:?}"
                );
                assert_eq!(bit(tick), b == Some(b'`'), "{b:?}");
            }
        }
    }

    #[test]
    fn lead_masks_mark_character_starts() {
        let text = "aé中😀".repeat(20);
        let bytes = text.as_bytes();
        for (lead, min) in [(Lead::Multi, 2), (Lead::Wide, 3)] {
            for base in (0..bytes.len() + 64).step_by(64) {
                let m = lead_mask(bytes, base, lead);
                for i in 0..64 {
                    let expect = text.is_char_boundary(base + i)
                        && text[base + i..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.len_utf8() >= min);
                    assert_eq!(m >> i & 1 == 1, expect, "{lead:?} at {}", base + i);
                }
            }
        }
    }

    #[test]
    fn the_scalar_fallback_gives_the_same_bits() {
        let text: Vec<u8> = (0..1000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let (mut fast, mut plain) = (Vec::new(), Vec::new());
        word_bits(&text, &mut fast);
        word_bits_by(&text, &mut plain, scalar_mask64);
        assert_eq!(fast, plain);
        let (mut fast_or, mut plain_or) =
            (vec![1u64 << 63; fast.len()], vec![1u64 << 63; fast.len()]);
        or_word_bits(&text, &mut fast_or);
        or_word_bits_by(&text, &mut plain_or, scalar_mask64);
        assert_eq!(fast_or, plain_or);
        let counts = feature_bits(&text, &mut fast);
        plain.clear();
        assert_eq!(feature_bits_by(&text, &mut plain, scalar_mask64), counts);
        assert_eq!(fast, plain);
        #[cfg(target_arch = "x86_64")]
        for pick in [
            Pick::Lead2,
            Pick::Lead3,
            Pick::Blank,
            Pick::Anchor,
            Pick::Capital,
            Pick::Backtick,
        ] {
            for c in text.chunks_exact(64) {
                let c: &[u8; 64] = c.try_into().unwrap();
                // SAFETY: SSE2 is part of the x86_64 baseline.
                assert_eq!(unsafe { sse2::mask64(c, pick) }, scalar_mask64(c, pick));
            }
        }
    }
}
