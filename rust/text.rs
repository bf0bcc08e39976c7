//! Text primitives shared by every part of the scan: character classes, case folding and the
//! token estimate. The README's "How matching works" defines them in words; the pure-Python twin
//! (`python/smart_llm_router/_text.py`) has the same tables, which the parity tests compare
//! entry by entry and over every code point.

/// What a character is for matching purposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Class {
    /// A letter, digit, mark or `_` of a space-delimited script: word boundaries apply.
    Word = 0,
    /// A character of a script written without spaces (Han, kana, Thai, ...): matched as substring.
    Cjk = 1,
    /// Whitespace; folds to a plain space.
    Space = 2,
    /// Punctuation, symbols, emoji, controls, private use, surrogates.
    Other = 3,
}

/// `Class` by its `u8` value.
const CLASSES: [Class; 4] = [W, C, S, O];

use Class::{Cjk as C, Other as O, Space as S, Word as W};

/// Sorted, non-overlapping ranges; code points outside every range are `Word`. The Python
/// twin's `_RANGES` is the same table: the binding exports this one (`class_ranges`) and the
/// parity tests compare the two entry by entry.
pub const RANGES: &[(u32, u32, Class)] = &[
    (0x00, 0x08, O),
    (0x09, 0x0D, S),
    (0x0E, 0x1F, O),
    (0x20, 0x20, S),
    (0x21, 0x2F, O),
    (0x3A, 0x40, O),
    (0x5B, 0x5E, O),
    (0x60, 0x60, O),
    (0x7B, 0x84, O),
    (0x85, 0x85, S),
    (0x86, 0x9F, O),
    (0xA0, 0xA0, S),
    (0xA1, 0xBF, O),
    (0xD7, 0xD7, O),
    (0xF7, 0xF7, O),
    (0x37E, 0x37E, O),
    (0x387, 0x387, O),
    (0x55A, 0x55F, O),
    (0x589, 0x58A, O),
    (0x600, 0x60F, O),
    (0x61B, 0x61F, O),
    (0x66A, 0x66D, O),
    (0x6D4, 0x6D4, O),
    (0x964, 0x965, O),
    (0xE00, 0xEFF, C),
    (0x1000, 0x109F, C),
    (0x1680, 0x1680, S),
    (0x1780, 0x17FF, C),
    (0x2000, 0x200A, S),
    (0x200B, 0x2027, O),
    (0x2028, 0x2029, S),
    (0x202A, 0x202E, O),
    (0x202F, 0x202F, S),
    (0x2030, 0x205E, O),
    (0x205F, 0x205F, S),
    (0x2060, 0x206F, O),
    (0x2070, 0x2BFF, O),
    (0x2E00, 0x2E7F, O),
    (0x2E80, 0x2FFF, C),
    (0x3000, 0x3000, S),
    (0x3001, 0x3004, O),
    (0x3005, 0x3007, C),
    (0x3008, 0x3020, O),
    (0x3021, 0x302F, C),
    (0x3030, 0x3030, O),
    (0x3031, 0x3035, C),
    (0x3036, 0x3037, O),
    (0x3038, 0x303C, C),
    (0x303D, 0x303F, O),
    (0x3040, 0x30FA, C),
    (0x30FB, 0x30FB, O),
    (0x30FC, 0x312F, C),
    (0x3190, 0x31FF, C),
    (0x3200, 0x33FF, O),
    (0x3400, 0x4DBF, C),
    (0x4DC0, 0x4DFF, O),
    (0x4E00, 0xA4CF, C),
    (0xD800, 0xF8FF, O),
    (0xF900, 0xFAFF, C),
    (0xFE00, 0xFE6F, O),
    (0xFEFF, 0xFEFF, O),
    (0xFF00, 0xFF0F, O),
    (0xFF1A, 0xFF20, O),
    (0xFF3B, 0xFF40, O),
    (0xFF5B, 0xFF65, O),
    (0xFF66, 0xFF9F, C),
    (0xFFE0, 0xFFFF, O),
    (0x1B000, 0x1B16F, C),
    (0x1F000, 0x1FBFF, O),
    (0x20000, 0x3FFFF, C),
    (0xE0000, 0xE01EF, O),
    (0xF0000, 0x10FFFF, O),
];

/// The class of one character (by table lookup below U+10000, else by binary search).
#[inline]
pub fn class(c: char) -> Class {
    let cp = c as u32;
    match BMP.get(cp as usize) {
        Some(&e) => CLASSES[(e & CLASS_BITS) as usize],
        None => search_class(cp),
    }
}

/// The class of a code point (`class` without the `char`: any value, surrogates included).
#[inline]
pub fn class_of(cp: u32) -> Class {
    match BMP.get(cp as usize) {
        Some(&e) => CLASSES[(e & CLASS_BITS) as usize],
        None => search_class(cp),
    }
}

/// The first range that reaches past the BMP (the few ranges `search_class` looks at).
const ASTRAL: usize = {
    let mut i = 0;
    while i < RANGES.len() && RANGES[i].1 < 0x10000 {
        i += 1;
    }
    i
};

/// The class of a code point above U+FFFF (or of any code point): the astral ranges are few,
/// so they are walked in order (emoji text is mostly such code points).
fn search_class(cp: u32) -> Class {
    if cp >= 0x10000 {
        for &(lo, hi, k) in &RANGES[ASTRAL..] {
            if cp < lo {
                return W;
            }
            if cp <= hi {
                return k;
            }
        }
        return W;
    }
    match RANGES.binary_search_by(|&(lo, hi, _)| {
        if hi < cp {
            std::cmp::Ordering::Less
        } else if lo > cp {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }) {
        Ok(i) => RANGES[i].2,
        Err(_) => W,
    }
}

/// Per code point below U+10000: its class (`CLASS_BITS`) and `SPECIAL` when the fused
/// fold pass must look closer (it folds to another character, or it is a question mark that
/// `features` counts).
static BMP: [u8; 0x10000] = bmp_table();
const CLASS_BITS: u8 = 3;
const SPECIAL: u8 = 4;

const fn bmp_table() -> [u8; 0x10000] {
    let mut t = [W as u8; 0x10000];
    let mut i = 0;
    while i < RANGES.len() {
        let (lo, hi, k) = RANGES[i];
        let mut cp = lo;
        while cp <= hi && cp < 0x10000 {
            t[cp as usize] = k as u8;
            cp += 1;
        }
        i += 1;
    }
    let mut cp = 0x80;
    while cp < 0x10000 {
        let k = t[cp as usize];
        if k == S as u8 || fold_map(cp) != cp || cp == 0x061F || cp == 0xFF1F {
            t[cp as usize] = k | SPECIAL;
        }
        cp += 1;
    }
    t
}

/// The case mapping of `fold` for a non-ASCII code point (`cp` itself when it has none). The
/// Python twin builds the same mapping (`_text._FOLD`): the binding exports what `fold` does
/// to every non-ASCII character (`fold_pairs`) and the parity tests compare the two entry by
/// entry.
const fn fold_map(cp: u32) -> u32 {
    match cp {
        0xC0..=0xDE if cp != 0xD7 => cp + 0x20,
        // Latin Extended-A: pairs, upper case on the even code point...
        0x100..=0x12F | 0x132..=0x137 | 0x14A..=0x177 if cp.is_multiple_of(2) => cp + 1,
        // ...except these runs, where it is on the odd one.
        0x139..=0x148 | 0x179..=0x17E if cp % 2 == 1 => cp + 1,
        0x178 => 0xFF,
        0x386 => 0x3AC,
        0x388..=0x38A => cp + 0x25,
        0x38C => 0x3CC,
        0x38E..=0x38F => cp + 0x3F,
        0x391..=0x3A1 | 0x3A3..=0x3AB => cp + 0x20,
        0x400..=0x40F => cp + 0x50,
        0x410..=0x42F => cp + 0x20,
        0x460..=0x481 | 0x48A..=0x4BF | 0x4D0..=0x52F if cp.is_multiple_of(2) => cp + 1,
        0x4C0 => 0x4CF,
        0x4C1..=0x4CE if cp % 2 == 1 => cp + 1,
        0x531..=0x556 => cp + 0x30,
        0x1E00..=0x1E95 | 0x1EA0..=0x1EFF if cp.is_multiple_of(2) => cp + 1,
        0x1E9E => 0xDF,
        0xFF21..=0xFF3A => cp + 0x20,
        _ => cp,
    }
}

/// Simple one-to-one case folding for Latin, Greek, Cyrillic, Armenian and fullwidth Latin,
/// and every whitespace character to a plain space. Every other character is unchanged, so the
/// folded text has exactly as many characters as the input.
#[inline]
pub fn fold(c: char) -> char {
    let cp = c as u32;
    if cp < 0x80 {
        return match c {
            'A'..='Z' => ((cp + 0x20) as u8) as char,
            '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' => ' ',
            _ => c,
        };
    }
    let mapped = fold_map(cp);
    if mapped == cp {
        return if class(c) == S { ' ' } else { c };
    }
    // Every target of `fold_map` is a valid scalar value by construction.
    char::from_u32(mapped).unwrap_or(c)
}

/// Appends the folded form of `text` to `out` (cleared first).
pub fn fold_into(text: &str, out: &mut String) {
    out.clear();
    out.reserve(text.len());
    if text.is_ascii() {
        // Byte-wise (vectorises); ASCII stays ASCII, so the result is valid UTF-8.
        let bytes: Vec<u8> = text
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' => b + 0x20,
                b'\t' | b'\n' | 0x0B | 0x0C | b'\r' => b' ',
                _ => b,
            })
            .collect();
        out.push_str(std::str::from_utf8(&bytes).unwrap_or_default());
    } else {
        out.extend(text.chars().map(fold));
    }
}

/// `fold` of an ASCII byte; other bytes unchanged. Branch-free so that loops over it vectorise.
#[inline(always)]
fn fold_byte(b: u8) -> u8 {
    let upper = b.wrapping_sub(b'A') < 26;
    let space = b.wrapping_sub(b'\t') < 5; // \t \n \x0b \x0c \r
    if space {
        b' '
    } else {
        b | (upper as u8) << 5
    }
}

/// The code point and byte length of the character of 2 to 4 bytes whose lead byte (0xC0 and
/// up: a bit of `simd::lead_mask`) is at `src[r]` of valid UTF-8.
#[inline]
pub fn decode_at(src: &[u8], r: usize) -> (u32, usize) {
    let at = |i: usize| src.get(i).map_or(0, |&b| (b & 0x3F) as u32);
    let b0 = src[r] as u32;
    if b0 < 0xE0 {
        ((b0 & 0x1F) << 6 | at(r + 1), 2)
    } else if b0 < 0xF0 {
        ((b0 & 0x0F) << 12 | at(r + 1) << 6 | at(r + 2), 3)
    } else {
        (
            (b0 & 0x07) << 18 | at(r + 1) << 12 | at(r + 2) << 6 | at(r + 3),
            4,
        )
    }
}

/// What the fused pass of `fold_scan` learns about a text besides its folded form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Folded {
    /// The byte length of the folded text.
    pub n: usize,
    pub ascii: bool,
    /// `count_chars` of the text.
    pub counts: CharCounts,
    /// Non-ASCII question marks (U+061F, U+FF1F), as `features` counts them.
    pub questions: u64,
}

/// Folds `text` into `out` (cleared first) followed by `pad` zero bytes, and sets `bits` (one
/// u64 per 64 bytes of the folded text, at least one more, cleared first) to its word
/// characters: bit i of word k is set when byte 64k+i belongs to a `Word` character.
///
/// One pass: ASCII bytes are folded by a vectorised map over the whole text; then only the
/// non-ASCII characters are visited (found a word at a time by their lead bytes), by a table
/// per code point below U+10000. The few characters that fold to another one are rewritten
/// in place; whitespace folding to a single space shrinks the text, which is compacted as it
/// goes (each byte moves at most once).
pub fn fold_scan(text: &str, out: &mut Vec<u8>, pad: usize, bits: &mut Vec<u64>) -> Folded {
    fold_scan_with::<()>(text, out, pad, bits, None)
}

/// A one-byte-per-character image of a non-ASCII text that the fold pass writes on the way
/// (the structure's skeleton: `skeleton::Copier`), sparing a second pass over the text: its
/// ASCII bytes as they are, each non-ASCII character as one byte that the image picks.
pub trait Image {
    /// The byte of a non-ASCII character that is not special.
    const OTHER: u8;
    /// Does the character need `pick` (a table lookup; most do not).
    fn is_special(cp: u32) -> bool;
    /// The byte of the special character `cp` at `src[r..end]`; `prev_end` is where the
    /// non-ASCII character before it ended (0 for the first).
    fn pick(&mut self, src: &[u8], r: usize, end: usize, cp: u32, prev_end: usize) -> u8;
}

/// No image.
impl Image for () {
    const OTHER: u8 = 0;
    fn is_special(_: u32) -> bool {
        false
    }
    fn pick(&mut self, _: &[u8], _: usize, _: usize, _: u32, _: usize) -> u8 {
        0
    }
}

/// `fold_scan`; with `image`, a non-ASCII text's image (`Image`) is also written into its
/// buffer (whose length is then the text's character count; untouched for ASCII text).
pub fn fold_scan_with<I: Image>(
    text: &str,
    out: &mut Vec<u8>,
    pad: usize,
    bits: &mut Vec<u64>,
    image: Option<(&mut Vec<u8>, &mut I)>,
) -> Folded {
    let src = text.as_bytes();
    out.clear();
    out.reserve(src.len() + pad);
    out.extend(src.iter().map(|&b| fold_byte(b)));
    bits.clear();
    let ascii = text.is_ascii();
    if ascii {
        crate::simd::word_bits(out, bits);
        bits.push(0);
        out.resize(src.len() + pad, 0);
        let counts = CharCounts {
            quarter: src.len() as u64,
            ..CharCounts::default()
        };
        return Folded {
            n: src.len(),
            ascii,
            counts,
            questions: 0,
        };
    }
    match image {
        Some((buf, image)) => {
            // Room for a 16-byte copy past the text (an image is never longer than its text).
            if buf.len() < src.len() + 16 {
                buf.resize(src.len() + 16, 0);
            }
            let (folded, len) = fold_multi::<I, true>(src, out, pad, bits, buf, image);
            buf.truncate(len);
            folded
        }
        None => fold_multi::<(), false>(src, out, pad, bits, &mut [], &mut ()).0,
    }
}

/// The non-ASCII part of `fold_scan`: `out` holds `src` with its ASCII bytes folded.
///
/// Visits the non-ASCII characters by their lead bytes, a 64-byte block at a time (an ASCII
/// block costs one test). The few characters that need more than a table lookup (`SPECIAL`)
/// are handled out of line, which keeps the loop's counters in registers.
#[inline(never)]
fn fold_multi<I: Image, const IMAGE: bool>(
    src: &[u8],
    out: &mut Vec<u8>,
    pad: usize,
    bits: &mut Vec<u64>,
    img: &mut [u8],
    image: &mut I,
) -> (Folded, usize) {
    bits.resize(src.len() / 64 + 2, 0);
    // Non-ASCII characters, those of class `Word`, and their bytes.
    let (mut chars, mut words, mut multi, mut cjk) = (0u64, 0u64, 0usize, 0u64);
    let mut special = Specials::default();
    // Word bits of the 64 output bytes from `acc_k * 64`, not yet in `bits`.
    let (mut acc_k, mut acc) = (0usize, 0u64);
    // The image so far is `img[..o]`, of `src[..copied]`.
    let (mut o, mut copied) = (0usize, 0usize);
    for base in (0..src.len()).step_by(64) {
        let mut leads = crate::simd::lead_mask(src, base, crate::simd::Lead::Multi);
        while leads != 0 {
            let r = base + leads.trailing_zeros() as usize;
            leads &= leads - 1;
            let (cp, len) = decode_at(src, r);
            if IMAGE {
                // The ASCII run before the character: none between CJK characters, mostly
                // a blank or two between words (one 16-byte copy: `img` has room for it to
                // go past the run), the odd long one out of line (a loop over 16-byte copies
                // here measured 15-25% of the pass over CJK text, even for empty runs).
                let run = r - copied;
                if run == 0 {
                } else if run <= 16 && copied + 16 <= src.len() {
                    img[o..o + 16].copy_from_slice(&src[copied..copied + 16]);
                } else {
                    copy_run(&mut img[o..], &src[copied..r]);
                }
                let b = if I::is_special(cp) {
                    image.pick(src, r, r + len, cp, copied)
                } else {
                    I::OTHER
                };
                img[o + run] = b;
                o += run + 1;
                copied = r + len;
            }
            let e = match BMP.get(cp as usize) {
                Some(&e) => e,
                None => search_class(cp) as u8,
            };
            chars += 1;
            multi += len;
            let o = r - special.delta;
            let width = if e & SPECIAL != 0 {
                special.fold(out, r, len, cp)
            } else {
                len
            };
            cjk += (e & CLASS_BITS == C as u8) as u64;
            if e & CLASS_BITS == W as u8 {
                words += 1;
                let m = (1u64 << width) - 1;
                let (k, s) = (o / 64, o % 64);
                if k != acc_k {
                    bits[acc_k] |= acc;
                    (acc_k, acc) = (k, 0);
                }
                acc |= m << s;
                if s + width > 64 {
                    bits[k + 1] |= m >> (64 - s);
                }
            }
        }
    }
    bits[acc_k] |= acc;
    let delta = special.delta;
    if delta > 0 {
        out.copy_within(special.pending..src.len(), special.pending - delta);
    }
    let n = src.len() - delta;
    out.truncate(n);
    out.resize(n + pad, 0);
    crate::simd::or_word_bits(&out[..n], bits);
    let spaces = special.spaces;
    let counts = CharCounts {
        quarter: (src.len() - multi) as u64 + spaces,
        half: words,
        whole: chars - words - spaces,
        cjk,
    };
    let folded = Folded {
        n,
        ascii: false,
        counts,
        questions: special.questions,
    };
    if IMAGE {
        let rest = src.len() - copied;
        img[o..o + rest].copy_from_slice(&src[copied..]);
        o += rest;
    }
    (folded, o)
}

/// Copies a long ASCII run into the image (out of line: it keeps `fold_multi`'s loop small).
#[inline(never)]
fn copy_run(img: &mut [u8], run: &[u8]) {
    img[..run.len()].copy_from_slice(run);
}

/// What `fold_multi` learns from the `SPECIAL` characters, and how far it has compacted the
/// text.
#[derive(Default)]
struct Specials {
    /// Input bytes dropped so far, and the start of the input not yet moved back by `delta`.
    delta: usize,
    pending: usize,
    /// Non-ASCII spaces (all of them are `SPECIAL`) and question marks.
    spaces: u64,
    questions: u64,
}

impl Specials {
    /// Folds the character `cp` of `len` bytes at input byte `r` into `out` (at `r - delta`),
    /// compacting the text when it shrinks; returns its folded width.
    #[cold]
    #[inline(never)]
    fn fold(&mut self, out: &mut [u8], r: usize, len: usize, cp: u32) -> usize {
        self.questions += (cp == 0x061F || cp == 0xFF1F) as u64;
        let c = char::from_u32(cp).unwrap_or(' ');
        self.spaces += (class(c) == S) as u64;
        let f = fold(c);
        if f == c {
            return len;
        }
        let width = f.len_utf8();
        let o = r - self.delta;
        if self.delta > 0 || width != len {
            if self.delta > 0 {
                out.copy_within(self.pending..r, self.pending - self.delta);
            }
            self.pending = r + len;
            self.delta += len - width;
        }
        f.encode_utf8(&mut out[o..o + width]);
        width
    }
}

/// Sets `bits` as `fold_scan` does, for text that is already folded.
pub fn word_bits(folded: &str, bits: &mut Vec<u64>) {
    bits.clear();
    bits.resize(folded.len() / 64 + 2, 0);
    crate::simd::or_word_bits(folded.as_bytes(), bits);
    for (o, c) in folded.char_indices() {
        if !c.is_ascii() && class(c) == W {
            for i in o..o + c.len_utf8() {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
    }
}

/// Is the character at byte `at` of a text a word character, by the bits of `fold_scan`
/// (`false` at and past the end).
#[inline]
pub fn bit_at(bits: &[u64], at: usize) -> bool {
    bits.get(at / 64).is_some_and(|w| w >> (at % 64) & 1 == 1)
}

/// Character counts behind the token estimate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CharCounts {
    /// ASCII characters and non-ASCII whitespace: a quarter token each.
    pub quarter: u64,
    /// Non-ASCII word characters (accented Latin, Cyrillic, Greek, Arabic, Hangul, ...): half a token.
    pub half: u64,
    /// Han, kana and other space-less scripts, and non-ASCII symbols or emoji: one token each.
    pub whole: u64,
    /// Of those, the characters of the CJK class (two count as a word for the structure).
    pub cjk: u64,
}

impl CharCounts {
    /// Estimated tokens as a real number (exact: sums of quarters).
    pub fn tokens(&self) -> f64 {
        self.quarter as f64 * 0.25 + self.half as f64 * 0.5 + self.whole as f64
    }
}

/// Counts characters of `text` (original or folded: folding keeps every class but whitespace,
/// which stays whitespace).
pub fn count_chars(text: &str) -> CharCounts {
    let mut n = CharCounts::default();
    if text.is_ascii() {
        n.quarter = text.len() as u64;
    } else {
        for c in text.chars() {
            if c.is_ascii() {
                n.quarter += 1;
                continue;
            }
            match class(c) {
                S => n.quarter += 1,
                W => n.half += 1,
                C => {
                    n.whole += 1;
                    n.cjk += 1;
                }
                O => n.whole += 1,
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_sorted_and_disjoint() {
        for pair in RANGES.windows(2) {
            assert!(pair[0].0 <= pair[0].1);
            assert!(
                pair[0].1 < pair[1].0,
                "{:x?} overlaps {:x?}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn folds_scripts_one_to_one() {
        let folded: String = "ÀÉÎ ĞİŸ ΣΑΛΑ ЁЖИК ẞ ＡＢＣ Ա".chars().map(fold).collect();
        assert_eq!(folded, "àéî ğİÿ σαλα ёжик ß ａｂｃ ա");
        assert_eq!(fold('\u{3000}'), ' ');
        assert_eq!(fold('\n'), ' ');
        assert_eq!(fold('中'), '中');
    }

    #[test]
    fn every_code_point_has_the_class_of_its_range() {
        for cp in 0..=0x10FFFF_u32 {
            let expect = RANGES
                .iter()
                .find(|&&(lo, hi, _)| lo <= cp && cp <= hi)
                .map_or(W, |r| r.2);
            assert_eq!(class_of(cp), expect, "{cp:#x}");
        }
    }

    #[test]
    fn classes() {
        assert_eq!(class('a'), W);
        assert_eq!(class('_'), W);
        assert_eq!(class('é'), W);
        assert_eq!(class('ж'), W);
        assert_eq!(class('한'), W);
        assert_eq!(class('中'), C);
        assert_eq!(class('か'), C);
        assert_eq!(class('ー'), C);
        assert_eq!(class('？'), O);
        assert_eq!(class('؟'), O);
        assert_eq!(class('😀'), O);
        assert_eq!(class('\u{3000}'), S);
    }

    #[test]
    fn fold_scan_matches_per_char_definitions() {
        let samples = [
            "Hello World\tÀÉ ĞİŸ ΣΑΛΑ ЁЖИК ẞ ＡＢＣ？ Ա؟ 中文证明\u{3000}x\u{a0}y\u{2028}😀 e\u{301}",
            "\u{3000}\u{3000}ẞẞ\u{1680}a\u{85}b\u{205f}",
            "ẞ",
            "plain ascii only",
            "",
        ];
        let long: String = samples.iter().map(|s| s.repeat(37)).collect();
        let (mut out, mut bits) = (Vec::new(), Vec::new());
        for text in samples.iter().copied().chain([long.as_str()]) {
            let f = fold_scan(text, &mut out, 16, &mut bits);
            let expect: String = text.chars().map(fold).collect();
            assert_eq!(&out[..f.n], expect.as_bytes());
            assert!(out[f.n..].iter().all(|&b| b == 0) && out.len() == f.n + 16);
            assert_eq!(f.counts, count_chars(text));
            assert_eq!(f.ascii, text.is_ascii());
            let q = text
                .chars()
                .filter(|&c| c == '\u{FF1F}' || c == '\u{061F}')
                .count() as u64;
            assert_eq!(f.questions, q);
            let mut reference = Vec::new();
            word_bits(&expect, &mut reference);
            for i in 0..f.n + 64 {
                assert_eq!(
                    bit_at(&bits, i),
                    bit_at(&reference, i),
                    "byte {i} of {text:?}"
                );
            }
        }
    }

    #[test]
    fn token_estimate() {
        assert_eq!(count_chars("abcd").tokens(), 1.0);
        assert_eq!(count_chars("证明").tokens(), 2.0);
        assert_eq!(count_chars("да").tokens(), 1.0);
    }
}
