//! Text primitives shared by every part of the scan: character classes, case folding and the
//! token estimate. `docs/matching` in the README defines them in words; the pure-Python twin
//! (`python/smart_llm_router/_text.py`) implements the same tables, and a test compares the two
//! over every code point.

/// What a character is for matching purposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A letter, digit, mark or `_` of a space-delimited script: word boundaries apply.
    Word,
    /// A character of a script written without spaces (Han, kana, Thai, ...): matched as substring.
    Cjk,
    /// Whitespace; folds to a plain space.
    Space,
    /// Punctuation, symbols, emoji, controls, private use, surrogates.
    Other,
}

use Class::{Cjk as C, Other as O, Space as S, Word as W};

/// Sorted, non-overlapping ranges; code points outside every range are `Word`.
/// Keep in sync with `_RANGES` in `_text.py` (tests compare both over all code points).
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

/// The class of one character (ASCII by table lookup, the rest by binary search).
#[inline]
pub fn class(c: char) -> Class {
    let cp = c as u32;
    if cp < LOW_LIMIT {
        return LOW_CLASS[cp as usize];
    }
    if (0x4E00..=0x9FFF).contains(&cp) {
        return C; // the CJK Unified Ideographs, the bulk of Chinese and Japanese text
    }
    search_class(cp)
}

fn search_class(cp: u32) -> Class {
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

/// Classes below this code point come from a table (Latin, Greek, Cyrillic, Arabic, ...).
const LOW_LIMIT: u32 = 0x3000;

const fn low_class_table() -> [Class; LOW_LIMIT as usize] {
    let mut t = [W; LOW_LIMIT as usize];
    let mut i = 0;
    while i < RANGES.len() {
        let (lo, hi, k) = RANGES[i];
        let mut cp = lo;
        while cp <= hi && cp < LOW_LIMIT {
            t[cp as usize] = k;
            cp += 1;
        }
        i += 1;
    }
    t
}

static LOW_CLASS: [Class; LOW_LIMIT as usize] = low_class_table();

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
    let mapped = match cp {
        0xC0..=0xDE if cp != 0xD7 => cp + 0x20,
        // Latin Extended-A: pairs, upper case on the even code point...
        0x100..=0x12F | 0x132..=0x137 | 0x14A..=0x177 if cp % 2 == 0 => cp + 1,
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
        0x460..=0x481 | 0x48A..=0x4BF | 0x4D0..=0x52F if cp % 2 == 0 => cp + 1,
        0x4C0 => 0x4CF,
        0x4C1..=0x4CE if cp % 2 == 1 => cp + 1,
        0x531..=0x556 => cp + 0x30,
        0x1E00..=0x1E95 | 0x1EA0..=0x1EFF if cp % 2 == 0 => cp + 1,
        0x1E9E => 0xDF,
        0xFF21..=0xFF3A => cp + 0x20,
        _ => {
            return if class(c) == S { ' ' } else { c };
        }
    };
    // Every target above is a valid scalar value by construction.
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

/// Folds `text` into `out` (cleared first) followed by `pad` zero bytes; returns the folded
/// length and whether the text is ASCII. The folded bytes are valid UTF-8.
pub fn fold_padded(text: &str, out: &mut Vec<u8>, pad: usize) -> (usize, bool) {
    out.clear();
    let ascii = text.is_ascii();
    if ascii {
        out.reserve(text.len() + pad);
        // Branch-free so it vectorises; ASCII stays ASCII.
        out.extend(text.bytes().map(|b| {
            let upper = b.wrapping_sub(b'A') < 26;
            let space = b.wrapping_sub(b'\t') < 5; // \t \n \x0b \x0c \r
            if space {
                b' '
            } else {
                b | (upper as u8) << 5
            }
        }));
    } else {
        let mut s = String::with_capacity(text.len() + pad);
        s.extend(text.chars().map(fold));
        *out = s.into_bytes();
    }
    let n = out.len();
    out.resize(n + pad, 0);
    (n, ascii)
}

/// The class of the character starting at byte `at` of the UTF-8 `text` (`None` at the end).
#[inline]
pub fn class_at(text: &[u8], at: usize) -> Option<Class> {
    let b = *text.get(at)?;
    if b < 0x80 {
        return Some(LOW_CLASS[b as usize]);
    }
    let width = if b >= 0xF0 { 4 } else if b >= 0xE0 { 3 } else { 2 };
    let s = text.get(at..at + width).and_then(|c| std::str::from_utf8(c).ok())?;
    s.chars().next().map(class)
}

/// The class of the character ending at byte `at` of the UTF-8 `text` (`None` at the start).
#[inline]
pub fn class_before(text: &[u8], at: usize) -> Option<Class> {
    let b = *text.get(at.checked_sub(1)?)?;
    if b < 0x80 {
        return Some(LOW_CLASS[b as usize]);
    }
    let mut start = at - 1;
    while start > 0 && at - start < 4 && text[start] & 0xC0 == 0x80 {
        start -= 1;
    }
    let s = std::str::from_utf8(&text[start..at]).ok()?;
    s.chars().next_back().map(class)
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
                C | O => n.whole += 1,
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
            assert!(pair[0].1 < pair[1].0, "{:x?} overlaps {:x?}", pair[0], pair[1]);
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
    fn token_estimate() {
        assert_eq!(count_chars("abcd").tokens(), 1.0);
        assert_eq!(count_chars("证明").tokens(), 2.0);
        assert_eq!(count_chars("да").tokens(), 1.0);
    }
}
