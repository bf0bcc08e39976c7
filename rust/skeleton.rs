//! The text signals of the structure layer (`structure`): sentences, clauses, enumerations,
//! quantities, math notation, enumerated names and how the text ends. The Python twin, which
//! defines them, is `Structure.signals` in `_structure.py`; both read a *skeleton* of the text,
//! one byte per character, that keeps what the signals look at (digits, letters, blanks,
//! sentence ends, separators, brackets, math and list marks) and nothing else.
//!
//! The skeleton here is the text's own bytes when it is ASCII (a table of byte `Kind`s stands
//! for the twin's byte mapping), else a copy with one byte per character: ASCII kept, every
//! non-ASCII mark a byte of its own above 0x7F (so a number's characters still compare as the
//! twin compares them), anything else `NA_OTHER`. The scorer's fold pass writes that copy on
//! its way over the non-ASCII characters (`Copier`, a `text::Image`). One pass then visits the *anchors* (digits
//! and marks: a few percent of prose), found 64 bytes at a time by `simd::skeleton_masks`,
//! and counts words and sentence content from the same masks. Every step is linear.

use crate::features::{Features, Lines};
use crate::simd;
use crate::text::{self, Class};

/// What a skeleton byte stands for (in brackets: the twin's skeleton byte).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum Kind {
    /// Anything else (`~`).
    Other,
    /// An ASCII digit (`0`).
    Digit,
    /// A letter (`a`, `A`).
    Letter,
    /// `x`, `y`, `z`, `n`: a variable after a number (`x`).
    LetterX,
    /// `k`, `K`, `M`, `B` and 万 億 亿 千 만 억 천: a scale after a number (`K`).
    LetterK,
    /// Space, tab, CR, VT, FF (` `).
    Blank,
    Newline,
    /// `!`, `?`, 。！？؟ (`!`).
    Break,
    Dot,
    /// `,`, `;`, 、，،・；؛ (`,`).
    Comma,
    Colon,
    Open,
    Close,
    Pipe,
    /// `/`, 年, 月 (`/`: "1945年8月15日" is one number).
    Slash,
    Dash,
    Eq,
    Plus,
    /// `*`, ×, ·, •, ▪, ● (`*`).
    Star,
    Lt,
    Gt,
    Caret,
    Quote,
}

use Kind::*;

// Skeleton bytes of the non-ASCII marks. `simd::skeleton_masks` takes NA_BREAK..=NA_GT for
// anchors, as the ASCII marks.
const NA_BREAK: u8 = 0x80;
const NA_COMMA: u8 = 0x81;
const NA_COLON: u8 = 0x82;
const NA_OPEN: u8 = 0x83;
const NA_CLOSE: u8 = 0x84;
const NA_PIPE: u8 = 0x85;
const NA_SLASH: u8 = 0x86;
const NA_STAR: u8 = 0x87;
const NA_LT: u8 = 0x88;
const NA_GT: u8 = 0x89;
const NA_SCALE: u8 = 0x8A;
const NA_OTHER: u8 = 0xFF;

static KIND: [Kind; 256] = kinds();

const fn kinds() -> [Kind; 256] {
    let mut t = [Other; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = match b as u8 {
            b'0'..=b'9' => Digit,
            b'x' | b'y' | b'z' | b'n' => LetterX,
            b'k' | b'K' | b'M' | b'B' => LetterK,
            b'a'..=b'z' | b'A'..=b'Z' => Letter,
            b' ' | b'\t' | b'\r' | 0x0B | 0x0C => Blank,
            b'\n' => Newline,
            b'!' | b'?' => Break,
            b'.' => Dot,
            b',' | b';' => Comma,
            b':' => Colon,
            b'(' => Open,
            b')' => Close,
            b'|' => Pipe,
            b'/' => Slash,
            b'-' => Dash,
            b'=' => Eq,
            b'+' => Plus,
            b'*' => Star,
            b'<' => Lt,
            b'>' => Gt,
            b'^' => Caret,
            b'\'' => Quote,
            _ => Other,
        };
        b += 1;
    }
    t[NA_BREAK as usize] = Break;
    t[NA_COMMA as usize] = Comma;
    t[NA_COLON as usize] = Colon;
    t[NA_OPEN as usize] = Open;
    t[NA_CLOSE as usize] = Close;
    t[NA_PIPE as usize] = Pipe;
    t[NA_SLASH as usize] = Slash;
    t[NA_STAR as usize] = Star;
    t[NA_LT as usize] = Lt;
    t[NA_GT as usize] = Gt;
    t[NA_SCALE as usize] = LetterK;
    t
}

/// Is a skeleton byte an anchor: a digit or a mark the scan stops at (letters, blanks, quotes
/// and other characters are only looked at next to one). `simd::skeleton_masks` marks the
/// same bytes (a test compares them).
pub const fn is_anchor(b: u8) -> bool {
    !matches!(
        KIND[b as usize],
        Other | Letter | LetterX | LetterK | Blank | Quote
    )
}

/// Is a skeleton byte a blank between words: space, tab, CR, VT, FF or a line feed.
pub const fn is_blank(b: u8) -> bool {
    matches!(KIND[b as usize], Blank | Newline)
}

/// The skeleton byte of a non-ASCII character.
fn mark(c: char) -> u8 {
    match c {
        '。' | '！' | '？' | '؟' => NA_BREAK,
        '、' | '，' | '،' | '・' | '；' | '؛' => NA_COMMA,
        '：' => NA_COLON,
        '（' => NA_OPEN,
        '）' => NA_CLOSE,
        '｜' => NA_PIPE,
        '年' | '月' => NA_SLASH,
        '万' | '億' | '亿' | '千' | '만' | '억' | '천' => NA_SCALE,
        '×' | '·' | '•' | '▪' | '●' => NA_STAR,
        '≤' => NA_LT,
        '≥' => NA_GT,
        _ => NA_OTHER,
    }
}

fn is_letter(k: Kind) -> bool {
    matches!(k, Letter | LetterX | LetterK)
}

/// A separator inside a number ("1,530", "12:30", "1945年8月").
fn is_joiner(k: Kind) -> bool {
    matches!(k, Dot | Comma | Colon | Slash | Dash)
}

/// What counts of non-ASCII characters the skeleton copy learns on the way.
#[derive(Default, Debug, Clone, Copy)]
pub struct Wide {
    /// Circled numbers ① to ⑳.
    circled: i64,
    /// Math symbols.
    symbols: i64,
    /// Runs of Chinese/Japanese numerals (ASCII between them aside), but a lone 一.
    numerals: i64,
    /// Which of 甲 乙 丙 丁 occur (bits).
    stems: u8,
    /// " — " and " – " (each counted without overlaps).
    dashes: i64,
}

/// The non-ASCII characters `copy_skeleton` looks at closer (a bit per code point below
/// U+10000; none above): the marks of `mark` and the characters `Wide` counts.
static SPECIAL: [u64; 1024] = special_bits();

const SPECIAL_CHARS: &str = concat!(
    "。！？؟、，،・；؛：（）｜年月万億亿千만억천×·•▪●≤≥",
    "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳",
    "²³⁴ⁿ√∑∫∏≠≈∞π∂∀∃∈",
    "一二三四五六七八九十百千万億亿两兩〇零",
    "甲乙丙丁\u{2013}\u{2014}",
);

const fn special_bits() -> [u64; 1024] {
    let mut t = [0u64; 1024];
    let b = SPECIAL_CHARS.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // (UTF-8 of BMP characters: 2 or 3 bytes.)
        let (cp, len) = if b[i] < 0xE0 {
            (((b[i] & 0x1F) as u32) << 6 | (b[i + 1] & 0x3F) as u32, 2)
        } else {
            (
                ((b[i] & 0x0F) as u32) << 12
                    | ((b[i + 1] & 0x3F) as u32) << 6
                    | (b[i + 2] & 0x3F) as u32,
                3,
            )
        };
        t[(cp >> 6) as usize] |= 1 << (cp & 63);
        i += len;
    }
    t
}

fn is_special(cp: u32) -> bool {
    SPECIAL
        .get((cp >> 6) as usize)
        .is_some_and(|w| w >> (cp & 63) & 1 == 1)
}

fn is_numeral(c: char) -> bool {
    matches!(
        c,
        '一' | '二'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '千'
            | '万'
            | '億'
            | '亿'
            | '两'
            | '兩'
            | '〇'
            | '零'
    )
}

fn is_math_symbol(c: char) -> bool {
    matches!(
        c,
        '²' | '³'
            | '⁴'
            | 'ⁿ'
            | '√'
            | '∑'
            | '∫'
            | '∏'
            | '≠'
            | '≈'
            | '∞'
            | 'π'
            | '∂'
            | '∀'
            | '∃'
            | '∈'
    )
}

/// The skeleton of a non-ASCII text as the fold pass writes it (`text::Image`): ASCII kept,
/// each non-ASCII character one byte (`mark`). The scorer's fold pass builds it
/// (`text::fold_scan_with`), so the text is visited once for both; this counts what `Wide`
/// holds on the few special characters, out of line.
#[derive(Default)]
pub struct Copier {
    w: Wide,
    /// The numeral run last seen: 1 while it is a lone 一, else 2 (0 before any); it goes on
    /// while the non-ASCII character before a numeral is a numeral (ASCII between aside), that
    /// is while `numeral_end` is where that character ended.
    run: u8,
    numeral_end: Option<usize>,
    /// Where the last " — " and " – " ended (they are counted without overlaps).
    dash_end: [usize; 2],
}

impl Copier {
    /// What the copy learned.
    pub fn finish(&self) -> Wide {
        let mut w = self.w;
        w.numerals += (self.run == 2) as i64;
        w
    }
}

impl text::Image for Copier {
    const OTHER: u8 = NA_OTHER;

    #[inline(always)]
    fn is_special(cp: u32) -> bool {
        is_special(cp)
    }

    #[cold]
    #[inline(never)]
    fn pick(&mut self, src: &[u8], r: usize, end: usize, cp: u32, prev_end: usize) -> u8 {
        let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
        let w = &mut self.w;
        if is_numeral(c) {
            if self.numeral_end == Some(prev_end) {
                self.run = 2;
            } else {
                w.numerals += (self.run == 2) as i64;
                self.run = if c == '一' { 1 } else { 2 };
            }
            self.numeral_end = Some(end);
            return mark(c);
        }
        match c {
            '\u{2460}'..='\u{2473}' => w.circled += 1,
            '甲' => w.stems |= 1,
            '乙' => w.stems |= 2,
            '丙' => w.stems |= 4,
            '丁' => w.stems |= 8,
            '\u{2013}' | '\u{2014}' => {
                // " — ", " – " (each counted without overlaps): clauses.
                let k = (c == '\u{2014}') as usize;
                let spaced = r >= 1 && src[r - 1] == b' ' && src.get(end) == Some(&b' ');
                if spaced && r > self.dash_end[k] {
                    w.dashes += 1;
                    self.dash_end[k] = end + 1;
                }
            }
            _ => w.symbols += is_math_symbol(c) as i64,
        }
        mark(c)
    }
}

/// Writes the skeleton of non-ASCII `text` into `out` (as the scorer's fold pass does).
fn copy_skeleton(text: &str, out: &mut Vec<u8>) -> Wide {
    let mut copier = Copier::default();
    let image = Some((out, &mut copier));
    text::fold_scan_with(text, &mut Vec::new(), 0, &mut Vec::new(), image);
    copier.finish()
}

/// The text signals of one prompt (see `Signals` in `structure`, which adds the keywords').
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TextSignals {
    pub units: f64,
    pub sentences: i64,
    pub clauses: i64,
    pub items: i64,
    /// Numbers (labels and list numbers aside) and runs of CJK numerals.
    pub quantities: i64,
    pub years: i64,
    /// A number of 4 digits or more, or a scaled one ("10M", "500万").
    pub scale: bool,
    pub math: i64,
    pub names: i64,
    pub question_end: bool,
    pub request_end: bool,
    pub code: bool,
    /// `features::ascii_features(text, 0)`: the same counts, read by this pass (the skeleton
    /// keeps every byte they look at).
    pub features: Features,
}

/// Characters `question_end` and `request_end` look past at the end of the text.
const TRAILING: [char; 10] = [' ', '\t', '\n', '.', '。', '!', '！', '~', '～', '…'];
/// Japanese and Korean requests end the text with a verb form: して, 書いて, 줘, 주세요.
const REQUEST_ENDS: [&str; 11] = [
    "て",
    "ください",
    "下さい",
    "ほしい",
    "欲しい",
    "なさい",
    "お願い",
    "お願いします",
    "줘",
    "줘요",
    "주세요",
];

/// The text signals of `text`, given its characters of the CJK class (two count as a word;
/// `text::CharCounts::cjk`); `buf` holds the skeleton of non-ASCII text.
pub fn read(text: &str, cjk: u64, buf: &mut Vec<u8>) -> TextSignals {
    let wide = (!text.is_ascii()).then(|| copy_skeleton(text, buf));
    read_copied(text, cjk, buf, wide)
}

/// `read`, given the skeleton copy of a non-ASCII text (`Copier`: `skeleton` and what
/// `Copier::finish` returned); `wide` is `None` for an ASCII text, its own skeleton.
pub fn read_copied(text: &str, cjk: u64, skeleton: &[u8], wide: Option<Wide>) -> TextSignals {
    let ascii = wide.is_none();
    let wide = wide.unwrap_or_default();
    let sk: &[u8] = if ascii { text.as_bytes() } else { skeleton };
    let mut scan = Scan::new(sk, wide.symbols);
    scan.run();
    let mut s = TextSignals {
        units: scan.words as f64 + cjk as f64 / 2.0,
        sentences: scan.sentences,
        clauses: scan.commas + scan.colons - scan.colon_numbers + scan.dashes,
        ..TextSignals::default()
    };
    s.clauses += wide.dashes;
    let enumeration = if scan.longest >= 2 {
        scan.longest + 1
    } else {
        0
    };
    let lines = if scan.newline { scan.list_lines } else { 0 };
    let numbered = if scan.newline { scan.numbered_lines } else { 0 };
    s.items = lines.max(scan.inline).max(wide.circled).max(enumeration);
    s.quantities = (scan.numbers - scan.labels - scan.inline.max(numbered)).max(0) + wide.numerals;
    s.years = scan.years;
    s.scale = scan.scale;
    s.math = scan.math();
    let stripped = text.trim_end_matches(TRAILING);
    s.question_end = matches!(stripped.chars().next_back(), Some('?' | '？' | '؟'));
    if s.question_end && s.sentences >= 2 {
        s.names = names(text).max(wide.stems.count_ones() as i64);
    }
    s.request_end = !ascii && REQUEST_ENDS.iter().any(|e| stripped.ends_with(e));
    s.code = scan.backtick && text.contains("```");
    let (list_items, choice_letters) = scan.lines.counts();
    s.features = Features {
        question_marks: scan.questions,
        choice_letters,
        numbers: scan.digit_runs,
        list_items,
    };
    s
}

/// The anchor pass over a skeleton and what it counts.
struct Scan<'a> {
    sk: &'a [u8],
    /// Words: runs of non-blank bytes.
    words: u64,
    sentences: i64,
    /// Separating commas (not inside a number) in all, and the most in one sentence.
    commas: i64,
    longest: i64,
    colons: i64,
    /// "0:0" (non-overlapping) and " - " (non-overlapping), and where the last one ended.
    colon_numbers: i64,
    colon_end: usize,
    dashes: i64,
    dash_end: usize,
    newline: bool,
    /// A backtick seen (the skeleton keeps them).
    backtick: bool,
    /// What `features::ascii_features` counts: runs of ASCII digits, '?', list lines and
    /// option letters.
    digit_runs: u64,
    questions: u64,
    lines: Lines,
    list_lines: i64,
    numbered_lines: i64,
    /// List numbers before ")" inline ("1) spec 2) code").
    inline: i64,
    /// Numbers: digit runs joined by single separators; table labels ("1 |").
    numbers: i64,
    labels: i64,
    years: i64,
    scale: bool,
    /// The number being read: its first byte and one past its last digit.
    number: Option<(usize, usize)>,
    // The current sentence: content seen, separating commas.
    content: bool,
    sentence_commas: i64,
    // Math marks, by the order of the twin's `_math_marks`.
    operators: bool,
    /// The math symbols and the marks of operators so far, and whether that reached 3 (where
    /// the twin returns).
    operator_marks: i64,
    operators_done: bool,
    variables: i64,
    dash_marks: i64,
    slash_marks: i64,
    open_marks: i64,
    /// "=" count, pairs "==" (non-overlapping), "=>", "<=", ">=", "!=", ":=".
    equals: i64,
    equal_pairs: i64,
    equal_run: i64,
    not_equals: i64,
}

/// Math marks that make `_math_marks` stop looking.
const ENOUGH: i64 = 3;

impl<'a> Scan<'a> {
    /// `symbols`: the text's math symbols.
    fn new(sk: &'a [u8], symbols: i64) -> Self {
        Scan {
            sk,
            words: 0,
            sentences: 0,
            commas: 0,
            longest: 0,
            colons: 0,
            colon_numbers: 0,
            colon_end: 0,
            dashes: 0,
            dash_end: 0,
            newline: false,
            backtick: false,
            digit_runs: 0,
            questions: 0,
            lines: Lines::default(),
            list_lines: 0,
            numbered_lines: 0,
            inline: 0,
            numbers: 0,
            labels: 0,
            years: 0,
            scale: false,
            number: None,
            content: false,
            sentence_commas: 0,
            operators: false,
            operator_marks: symbols,
            operators_done: false,
            variables: 0,
            dash_marks: 0,
            slash_marks: 0,
            open_marks: 0,
            equals: 0,
            equal_pairs: 0,
            equal_run: 0,
            not_equals: 0,
        }
    }

    /// The kind of the byte at `i` (`Other` outside the text).
    #[inline]
    fn at(&self, i: usize) -> Kind {
        self.sk.get(i).map_or(Other, |&b| KIND[b as usize])
    }

    /// The kind of the byte before `i` (`Other` at the start).
    #[inline]
    fn before(&self, i: usize) -> Kind {
        if i == 0 {
            Other
        } else {
            self.at(i - 1)
        }
    }

    fn letter_at(&self, i: isize) -> bool {
        i >= 0 && is_letter(self.at(i as usize))
    }

    /// A letter with no letter on either side: a one-letter variable.
    fn lone(&self, i: isize) -> bool {
        i >= 0
            && (i as usize) < self.sk.len()
            && self.letter_at(i)
            && !self.letter_at(i - 1)
            && !self.letter_at(i + 1)
    }

    /// The index next to `i` in direction `step`, skipping one blank (not a line feed).
    fn near(&self, i: isize, step: isize) -> isize {
        let j = i + step;
        if j >= 0 && self.at(j as usize) == Blank {
            j + step
        } else {
            j
        }
    }

    fn run(&mut self) {
        let n = self.sk.len();
        // The first line is a list line only in a text of several lines.
        self.line_start(0);
        self.lines.line(self.sk, 0);
        // Blank before the text: a word may start at 0.
        let mut blank_carry = 1u64;
        let avx2 = simd::Avx2::detect();
        // Content (non-anchor, non-blank) after the last anchor, in earlier blocks.
        let mut pending = false;
        for base in (0..n).step_by(64) {
            let valid = if n - base >= 64 {
                u64::MAX
            } else {
                (1u64 << (n - base)) - 1
            };
            let (blank, anchor, tick) = match avx2 {
                Some(cpu) => simd::skeleton_masks_avx2(cpu, self.sk, base),
                None => simd::skeleton_masks(self.sk, base),
            };
            let (blank, anchor) = (blank & valid, anchor & valid);
            self.backtick |= tick != 0;
            let solid = !blank & valid;
            self.words += (solid & ((blank << 1) | blank_carry)).count_ones() as u64;
            blank_carry = blank >> 63;
            let content = solid & !anchor;
            let mut anchors = anchor;
            let mut after = 0u64; // bits above the last anchor of this block
            while anchors != 0 {
                let bit = anchors.trailing_zeros();
                anchors &= anchors - 1;
                let below = (1u64 << bit) - 1;
                pending |= content & below & !after != 0;
                if pending {
                    self.content = true;
                    pending = false;
                }
                self.anchor(base + bit as usize);
                after = below | (1u64 << bit);
            }
            pending |= content & !after != 0;
        }
        if pending {
            self.content = true;
        }
        self.end_sentence();
        self.end_number();
    }

    fn end_sentence(&mut self) {
        self.sentences += self.content as i64;
        self.longest = self.longest.max(self.sentence_commas);
        self.content = false;
        self.sentence_commas = 0;
    }

    /// A line starting at `i`: a bullet or a numbered line ("- a", "1. a", "(2) b").
    fn line_start(&mut self, i: usize) {
        let mut i = i;
        while self.at(i) == Blank {
            i += 1;
        }
        match self.at(i) {
            Dash | Star | Comma => self.list_lines += 1,
            k if k == Digit || (k == Open && self.at(i + 1) == Digit) => {
                let lead = (0..4)
                    .take_while(|&d| matches!(self.at(i + d), Open | Digit))
                    .count();
                if lead <= 3 && matches!(self.at(i + lead), Dot | Close) {
                    self.list_lines += 1;
                    self.numbered_lines += 1;
                }
            }
            _ => {}
        }
    }

    /// Ends the number being read: a year (1900-2099, as written) or a large number.
    fn end_number(&mut self) {
        let Some((start, end)) = self.number.take() else {
            return;
        };
        if end - start < 4 {
            return;
        }
        let n = &self.sk[start..end];
        if n.len() == 4 && (b"1900".as_slice()..=b"2099".as_slice()).contains(&n) {
            self.years += 1;
        } else if n
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b',' || *b == b'.')
            && n.iter().filter(|b| b.is_ascii_digit()).count() >= 4
        {
            self.scale = true;
        }
    }

    fn anchor(&mut self, i: usize) {
        let k = self.at(i);
        let (prev, next) = (self.before(i), self.at(i + 1));
        match k {
            Digit => {
                self.content = true;
                self.digit_runs += (prev != Digit) as u64;
                if prev != Digit && !(is_joiner(prev) && i >= 2 && self.at(i - 2) == Digit) {
                    self.end_number();
                    self.numbers += 1;
                    self.number = Some((i, i + 1));
                } else if let Some((start, _)) = self.number {
                    self.number = Some((start, i + 1));
                }
                // "10K", "5 M", "500万": a scale; "2x": a variable.
                let (k1, k2, k3) = (next, self.at(i + 2), self.at(i + 3));
                if (k1 == LetterK && !is_letter(k2))
                    || (k1 == Blank && k2 == LetterK && !is_letter(k3))
                {
                    self.scale = true;
                }
                self.variables += (k1 == LetterX && !is_letter(k2)) as i64;
            }
            Newline => {
                self.end_sentence();
                self.newline = true;
                self.line_start(i + 1);
                self.lines.line(self.sk, i + 1);
            }
            Break => {
                self.questions += (self.sk[i] == b'?') as u64;
                self.end_sentence();
                self.not_equals += (next == Eq) as i64;
            }
            Dot => {
                if matches!(next, Blank | Newline) {
                    self.end_sentence();
                }
            }
            Comma => {
                self.content = true;
                if !(prev == Digit && next == Digit) {
                    self.commas += 1;
                    self.sentence_commas += 1;
                }
            }
            Colon => {
                self.colons += 1;
                if prev == Digit && next == Digit && i > self.colon_end {
                    self.colon_numbers += 1;
                    self.colon_end = i + 2;
                }
                self.not_equals += (next == Eq) as i64;
            }
            Open => {
                let before = if i >= 2 && prev == Quote {
                    i - 2
                } else {
                    i.wrapping_sub(1)
                };
                let after = self.near(i as isize, 1);
                self.open_marks += (self.lone(before as isize) && self.letter_at(after)) as i64;
            }
            Close => {
                if self.sk[i] == b')' {
                    self.lines.close(self.sk, i);
                }
                if prev == Digit {
                    let start = if i >= 2 && self.at(i - 2) == Digit {
                        i - 2
                    } else {
                        i - 1
                    };
                    let before = if start == 0 {
                        Blank
                    } else {
                        self.at(start - 1)
                    };
                    let call = before == Open
                        && start >= 2
                        && matches!(self.at(start - 2), Letter | LetterX | LetterK | Quote);
                    if !call && matches!(before, Blank | Newline | Colon | Comma | Open) {
                        self.inline += 1;
                    }
                }
            }
            Pipe => {
                self.labels += (prev == Digit) as i64;
                self.labels += (prev == Blank && i >= 2 && self.at(i - 2) == Digit) as i64;
            }
            Slash => {
                self.content = true;
                let (left, right) = (self.near(i as isize, -1), self.near(i as isize, 1));
                let number = right >= 0 && self.at(right as usize) == Digit;
                self.slash_marks += (self.lone(left) && (self.lone(right) || number)) as i64;
            }
            Dash => {
                if prev == Blank && next == Blank {
                    // " - ": a clause (counted without overlaps), and a math mark after a
                    // one-letter variable (counted at every occurrence).
                    if i > self.dash_end {
                        self.dashes += 1;
                        self.dash_end = i + 2;
                    }
                    self.dash_marks += self.lone(i as isize - 2) as i64;
                }
                if next == Digit {
                    self.dash_marks += self.lone(i as isize - 1) as i64;
                }
            }
            Eq | Plus | Star | Lt | Gt | Caret => {
                self.content = true;
                self.operator(i, k, prev, next);
            }
            Other | Letter | LetterX | LetterK | Blank | Quote => {}
        }
    }

    /// An operator at `i`: math marks (an operator next to a one-letter variable, "x^2") and
    /// the counts of "=" and its pairs.
    fn operator(&mut self, i: usize, k: Kind, prev: Kind, next: Kind) {
        self.operators = true;
        if k == Eq {
            self.equals += 1;
            self.equal_run = if prev == Eq { self.equal_run + 1 } else { 1 };
            self.equal_pairs += (self.equal_run % 2 == 0) as i64;
            self.not_equals += matches!(prev, Lt | Gt) as i64 + (next == Gt) as i64;
        }
        if self.operators_done || (k == Plus && (prev == Plus || next == Plus)) {
            return; // C++, i++
        }
        let mark = if k == Caret {
            // An exponent with a letter on one side ("x^2", "2^n"; not "10^12").
            (is_letter(prev) || prev == Close) || (is_letter(next) || next == Open)
        } else {
            let i = i as isize;
            self.lone(self.near(i, -1)) || self.lone(self.near(i, 1))
        };
        self.operator_marks += mark as i64;
        if self.operator_marks >= ENOUGH {
            self.operators_done = true;
        }
    }

    /// Marks of math notation, as the twin's `_math_marks` counts them (it stops looking at
    /// 3, so the steps after are skipped once 3 are seen).
    fn math(&self) -> i64 {
        let mut marks = self.operator_marks;
        if self.operators_done {
            return marks;
        }
        marks += self.variables;
        if marks >= ENOUGH {
            return marks;
        }
        marks += self.dash_marks;
        if marks >= ENOUGH {
            return marks;
        }
        marks = (marks + self.slash_marks).min(ENOUGH);
        if marks < ENOUGH {
            marks = (marks + self.open_marks).min(ENOUGH);
        }
        if marks != 0 && self.equals > 0 {
            marks += self.equals - 2 * self.equal_pairs - self.not_equals;
        }
        marks
    }
}

// --- Names -----------------------------------------------------------------------------------

/// A letter of a name's neighbourhood: A-Z, a-z, U+00C0-U+00FF, А-я, Ё, ё.
fn is_name_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || ('À'..='ÿ').contains(&c)
        || ('А'..='я').contains(&c)
        || c == 'Ё'
        || c == 'ё'
}

/// Conjunctions that join names (between two blanks).
const AND: [&str; 11] = [
    "and", "und", "y", "e", "и", "et", "or", "oder", "o", "ou", "или",
];

/// The character at byte `i` of `text`.
fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|rest| rest.chars().next())
}

/// A name at byte `i`: a capital and up to 12 small letters; the byte after it.
fn name_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut end = match (b.get(i), b.get(i + 1)) {
        (Some(c), _) if c.is_ascii_uppercase() => i + 1,
        // А-Я (U+0410-U+042F), Ё (U+0401).
        (Some(0xD0), Some(&c)) if (0x90..=0xAF).contains(&c) || c == 0x81 => i + 2,
        _ => return None,
    };
    for _ in 0..12 {
        end += match (b.get(end), b.get(end + 1)) {
            (Some(c), _) if c.is_ascii_lowercase() => 1,
            // à-ÿ (U+00E0-U+00FF), а-я (U+0430-U+044F), ё (U+0451).
            (Some(0xC3), Some(&c)) if c >= 0xA0 => 2,
            (Some(0xD0), Some(&c)) if c >= 0xB0 => 2,
            (Some(0xD1), Some(&c)) if c <= 0x8F || c == 0x91 => 2,
            _ => break,
        };
    }
    Some(end)
}

/// The byte length of a SPACE-class character at byte `i` of `text`.
fn space_len(text: &str, i: usize) -> Option<usize> {
    match text.as_bytes().get(i)? {
        b'\t'..=b'\r' | b' ' => Some(1),
        b if b.is_ascii() => None,
        _ => char_at(text, i)
            .filter(|&c| text::class(c) == Class::Space)
            .map(char::len_utf8),
    }
}

/// The byte length of a comma that joins names (`,`, `、`, `，`) at byte `i` of `text`.
fn comma_len(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    match b.get(i)? {
        b',' => Some(1),
        0xE3 | 0xEF => matches!(char_at(text, i), Some('、' | '，')).then_some(3),
        _ => None,
    }
}

/// A name after a comma at byte `i` (a blank may follow the comma): the byte after it.
fn name_after_comma(text: &str, i: usize) -> Option<usize> {
    let j = i + comma_len(text, i)?;
    match space_len(text, j) {
        Some(s) => name_at(text, j + s),
        None => name_at(text, j),
    }
}

/// A separator and a name after a name ending at byte `i`: the byte after that name. The
/// separator is a comma (a blank may stand on either side) or a conjunction between blanks.
fn next_name(text: &str, i: usize) -> Option<usize> {
    let Some(blank) = space_len(text, i) else {
        return name_after_comma(text, i);
    };
    let j = i + blank;
    if comma_len(text, j).is_some() {
        return name_after_comma(text, j);
    }
    // " and Bea": at most one conjunction can be followed by a blank.
    let b = text.as_bytes();
    if !matches!(b.get(j), Some(b'a' | b'u' | b'y' | b'e' | b'o' | 0xD0)) {
        return None;
    }
    AND.iter().find_map(|w| {
        let after = j + w.len();
        (b.get(j..after) == Some(w.as_bytes())).then_some(())?;
        name_at(text, after + space_len(text, after)?)
    })
}

/// Is the character ending right before byte `i` a letter of a name's neighbourhood
/// (`is_name_letter`): ASCII, or a 2-byte character (U+00C0-U+00FF, Cyrillic).
fn letter_before(b: &[u8], i: usize) -> bool {
    let p = match i.checked_sub(1) {
        Some(k) => b[k],
        None => return false,
    };
    if p < 0x80 {
        return p.is_ascii_alphabetic();
    }
    match i.checked_sub(2).map(|k| b[k]) {
        Some(0xC3) => true,
        Some(0xD0) => (0x90..=0xBF).contains(&p) || p == 0x81,
        Some(0xD1) => (0x80..=0x8F).contains(&p) || p == 0x91,
        _ => false,
    }
}

/// The longest enumeration of three or more names ("Ana, Bea and Carla", "Петя, Вася и
/// Коля") not followed by a letter; 0 when there is none. Capitals are found 64 bytes at a
/// time; each chain of names is read once (the next search starts after it).
fn names(text: &str) -> i64 {
    let b = text.as_bytes();
    let mut best = 0;
    let mut resume = 0;
    for base in (0..b.len()).step_by(64) {
        let mut capitals = simd::capital_mask(b, base);
        while capitals != 0 {
            let i = base + capitals.trailing_zeros() as usize;
            capitals &= capitals - 1;
            if i < resume || letter_before(b, i) {
                continue;
            }
            let Some(mut end) = name_at(text, i) else {
                continue;
            };
            let mut count = 1;
            while let Some(e) = next_name(text, end) {
                end = e;
                count += 1;
            }
            if count >= 3 && !char_at(text, end).is_some_and(is_name_letter) {
                best = best.max(count);
            }
            resume = end;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skeleton_pass_counts_the_features() {
        let samples = [
            "Which is prime?\nA. 4\nB. 6\n(c) 7\n  1. one\n2) two\n12.5 is not\n",
            "Pick: a) red b) blue  c) green",
            "plan a)b) c)",
            "証明して？\n1. 一つ\n 2) 二つ (b) é3x4?? (e)\n\té) a)\u{3000}c) 10年5月",
            "(a",
            ")",
            "",
        ];
        for text in samples {
            let cjk = text::count_chars(text).cjk;
            let got = read(text, cjk, &mut Vec::new()).features;
            assert_eq!(got, crate::features::ascii_features(text, 0), "{text:?}");
        }
    }
}
