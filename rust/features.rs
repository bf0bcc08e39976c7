//! Signals that are not keywords, read from the original text: question marks, digit runs,
//! numbered-list lines and answer-option letters. The Python twin is `features` in `_text.py`.

/// Counts that are not keywords; all measured on the original text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    pub question_marks: u64,
    /// Distinct answer-option letters a-e seen as "(a)" or at a line start as "a)", "A.", "b:".
    pub choice_letters: u64,
    pub numbers: u64,
    pub list_items: u64,
}

/// Question marks, digit runs, numbered-list lines and answer-option letters of `text`.
/// Option letters a-e count as "(a)" anywhere, "a)" between blanks, and at a line start as
/// "a)", "a.", "a:" or "(a." followed by a blank. Everything looked for here is ASCII except
/// two question marks, so the scan runs on bytes (ASCII bytes never occur inside a
/// multi-byte UTF-8 sequence).
pub fn features(text: &str) -> Features {
    let questions = if text.is_ascii() {
        0
    } else {
        text.chars()
            .filter(|&c| c == '\u{FF1F}' || c == '\u{061F}')
            .count() as u64
    };
    ascii_features(text, questions)
}

/// `features` given the count of its non-ASCII question marks (which the fold pass counts).
pub fn ascii_features(text: &str, questions: u64) -> Features {
    let b = text.as_bytes();
    let mut f = Features::default();
    // Digit runs are digits not preceded by a digit.
    let mut marks = Vec::new();
    (f.numbers, f.question_marks) = crate::simd::feature_bits(b, &mut marks);
    f.question_marks += questions;
    let mut lines = Lines::default();
    lines.line(b, 0);
    for (w, &m) in marks.iter().enumerate() {
        let mut m = m;
        while m != 0 {
            let i = w * 64 + m.trailing_zeros() as usize;
            m &= m - 1;
            if b[i] == b'\n' {
                lines.line(b, i + 1);
            } else {
                lines.close(b, i);
            }
        }
    }
    (f.list_items, f.choice_letters) = lines.counts();
    f
}

/// Numbered-list lines and answer-option letters, read at a text's line starts and `)` bytes.
/// Everything they look at is ASCII and each test stops at the first byte that fails it, so
/// they read the same from any copy of the text that keeps its ASCII bytes and writes each
/// non-ASCII character as bytes above 0x7F (the structure's skeleton, whose pass feeds them).
#[derive(Debug, Default, Clone, Copy)]
pub struct Lines {
    list_items: u64,
    /// Option letters seen (a bit per letter a-e).
    letters: u8,
}

fn blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn option(c: u8) -> bool {
    matches!(c, b'a'..=b'e' | b'A'..=b'E')
}

fn letter_bit(c: u8) -> u8 {
    1u8 << (c.to_ascii_lowercase() - b'a')
}

impl Lines {
    /// A line starting at byte `start` of `b`: a numbered item (1-3 digits, '.' or ')', then a
    /// blank), an option label (optional '(', a letter a-e, one of ").:", then a blank).
    #[inline]
    pub fn line(&mut self, b: &[u8], start: usize) {
        let at = |i: usize| b.get(i).copied().unwrap_or(0);
        let mut i = start;
        while blank(at(i)) {
            i += 1;
        }
        let digits = (0..4).take_while(|&k| at(i + k).is_ascii_digit()).count();
        if (1..=3).contains(&digits)
            && matches!(at(i + digits), b'.' | b')')
            && blank(at(i + digits + 1))
        {
            self.list_items += 1;
        }
        let k = if at(i) == b'(' { i + 1 } else { i };
        if option(at(k)) && matches!(at(k + 1), b')' | b'.' | b':') && blank(at(k + 2)) {
            self.letters |= letter_bit(at(k));
        }
    }

    /// A ')' at byte `i` of `b`: "(a)" anywhere, or "a)" between blanks.
    #[inline]
    pub fn close(&mut self, b: &[u8], i: usize) {
        if i < 2 {
            return;
        }
        let l = b[i - 1];
        if option(l)
            && (b[i - 2] == b'(' || (blank(b[i - 2]) && blank(b.get(i + 1).copied().unwrap_or(0))))
        {
            self.letters |= letter_bit(l);
        }
    }

    /// (numbered-list lines, distinct option letters).
    pub fn counts(&self) -> (u64, u64) {
        (self.list_items, self.letters.count_ones() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_of_a_quiz() {
        let f = features("Which is prime?\nA. 4\nB. 6\n(c) 7\n  1. one\n2) two\n12.5 is not\n");
        assert_eq!(features("Pick: a) red b) blue  c) green").choice_letters, 3);
        assert_eq!(features("plan a)b) c)").choice_letters, 0);
        assert_eq!(f.question_marks, 1);
        assert_eq!(f.choice_letters, 3);
        assert_eq!(f.list_items, 2);
        assert_eq!(f.numbers, 7);
    }
}
