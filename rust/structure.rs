//! Structural signals and rules: what a prompt asks for, read from its shape as much as from
//! its words. The Python twin, whose module docstring is the rule spec, is `_structure.py`.
//!
//! The signals are the text's (`skeleton`) and the distinct keywords of each structure set
//! (`STRUCTURE_SETS`), which the scorer finds in its one keyword scan. The rules run after the
//! score and its rules: floors that only raise the tier (REASONING: math, word problems,
//! puzzles and riddles, ordering puzzles, choice questions about a problem, counterexamples,
//! arguments about a general claim; COMPLEX: rework of a large object, requirement lists, open
//! asks, long asks; MEDIUM: requests, questions that give numbers, quizzes with options), then
//! two ceilings that only lower a tier set by the score or the hard-ask floor (a short
//! definitional question, one asked to be answered briefly, a short "why" about the world or a
//! short plain question is SIMPLE; short work on a small object is at most MEDIUM).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::skeleton::TextSignals;
use crate::spec::{SpecError, StructureSpec};
use crate::tables::{
    FIRST_STRUCTURE_RULE, K_CODE, K_CONSTRAINT, K_FORMAT, K_HARD, K_IMPERATIVE, K_NEGATION,
    K_PROOF, K_REASONING, K_SIMPLE, K_TECHNICAL, K_TOPIC_SHIFT, RULES, STRUCTURE_SETS,
};

// Indices into STRUCTURE_SETS.
const S_DEFINITION: usize = 0;
const S_QUANTITY: usize = 1;
const S_NUMBER: usize = 2;
const S_REWORK: usize = 3;
const S_LARGE: usize = 4;
const S_SMALL: usize = 5;
const S_SCOPE: usize = 6;
const S_POINTER: usize = 7;
const S_DEMONSTRATIVE: usize = 8;
const S_REQUEST: usize = 9;
const S_PLAN: usize = 10;
const S_SCALE: usize = 11;
const S_STRONG: usize = 12;
const S_REASONING: usize = 13;
const S_OPEN: usize = 14;
const S_ADVICE: usize = 15;
const S_TEXTOP: usize = 16;
const S_JUSTIFY: usize = 17;
const S_GENERAL: usize = 18;
const S_SUPPOSE: usize = 19;
const S_ORDER: usize = 20;
const S_BRIEF: usize = 21;
const S_CONTRAST: usize = 22;
const S_EXPLAIN: usize = 23;
const S_FRAME: usize = 24;
const S_LEAST: usize = 25;
const S_GUARANTEE: usize = 26;
const S_CONDITION: usize = 27;
const S_PUZZLE: usize = 28;
const S_WHY: usize = 29;

// Tiers.
const SIMPLE: u8 = 0;
const MEDIUM: u8 = 1;
const COMPLEX: u8 = 2;
const REASONING: u8 = 3;

// Rule codes (indices into RULES).
const MATH: u8 = FIRST_STRUCTURE_RULE as u8;
const WORD_PROBLEM: u8 = MATH + 1;
const PUZZLE: u8 = MATH + 2;
const ORDERING: u8 = MATH + 3;
const CHOICE: u8 = MATH + 4;
const REASONING_ASK: u8 = MATH + 5;
const ARGUMENT: u8 = MATH + 6;
const REWORK: u8 = MATH + 7;
const REQUIREMENTS: u8 = MATH + 8;
const LONG_ASK: u8 = MATH + 9;
const OPEN_ASK: u8 = MATH + 10;
const REQUEST: u8 = MATH + 11;
const NUMBERS_QUESTION: u8 = MATH + 12;
const DEFINITION: u8 = MATH + 13;
const SMALL_OBJECT: u8 = MATH + 14;

/// The script and bit of an answer-option label (`Structure::options`): the letter-like ones
/// (0 Latin, 1 Cyrillic, 2 Hangul, 3 Arabic; upper and lower case are one label), then 4
/// katakana, 5 stems (甲 乙 丙 丁) and 6 circled numbers.
fn option_of(c: char) -> Option<(usize, u32)> {
    let (script, bit) = match c {
        'a'..='e' => (0, c as u32 - 'a' as u32),
        'A'..='E' => (0, c as u32 - 'A' as u32),
        'а'..='д' => (1, c as u32 - 'а' as u32),
        'А'..='Д' => (1, c as u32 - 'А' as u32),
        '가' => (2, 0),
        '나' => (2, 1),
        '다' => (2, 2),
        '라' => (2, 3),
        '마' => (2, 4),
        'أ' => (3, 0),
        'ب' => (3, 1),
        'ج' => (3, 2),
        'د' => (3, 3),
        'ア' => (4, 0),
        'イ' => (4, 1),
        'ウ' => (4, 2),
        'エ' => (4, 3),
        'オ' => (4, 4),
        '甲' => (5, 0),
        '乙' => (5, 1),
        '丙' => (5, 2),
        '丁' => (5, 3),
        '①'..='⑩' => (6, c as u32 - '①' as u32),
        _ => return None,
    };
    Some((script, bit))
}
const OPTION_SCRIPTS: usize = 7;
const LETTER_SCRIPTS: usize = 4;
const CIRCLED: usize = 6;

fn before_option(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | '\u{3000}' | '(' | '（' | '?' | '？' | '؟' | ':' | '：' | '。'
    )
}

fn blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{3000}')
}

/// The rules a ceiling may override: the score (0), ambiguity (1) and the hard-ask floor (4),
/// not another rule (reasoning markers, long context, structured output, proof, agentic).
const CAPPABLE: [u8; 3] = [0, 1, 4];

/// What the structure scan found in one prompt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signals {
    pub text: TextSignals,
    /// Question marks anywhere.
    pub questions: u64,
    /// Distinct keywords matched per set (`STRUCTURE_SETS` order).
    pub sets: [u32; STRUCTURE_SETS.len()],
}

impl Signals {
    /// The text signals with the keywords' part: numbers in words are quantities, words of
    /// scale are scale.
    pub fn new(mut text: TextSignals, questions: u64, sets: [u32; STRUCTURE_SETS.len()]) -> Self {
        text.quantities += sets[S_NUMBER] as i64;
        text.scale |= sets[S_SCALE] > 0;
        Signals {
            text,
            questions,
            sets,
        }
    }

    /// The prompt points at content: a pointer word, or "this/our/my" and a work object.
    fn pointed(&self) -> bool {
        let s = &self.sets;
        s[S_POINTER] > 0 || (s[S_DEMONSTRATIVE] > 0 && s[S_SMALL] + s[S_LARGE] > 0)
    }

    /// A short question for a reason about the world ("why do cats purr?"): one sentence and
    /// one question, nothing personal or pointed at (my, this), no negation and no technical or
    /// code words (a "why doesn't the wifi work" is troubleshooting).
    fn why(&self, per_set: &[u32]) -> bool {
        let s = &self.sets;
        s[S_WHY] > 0
            && self.text.sentences == 1
            && self.questions == 1
            && s[S_DEMONSTRATIVE] + s[S_POINTER] == 0
            && per_set[K_NEGATION] + per_set[K_CODE] + per_set[K_TECHNICAL] == 0
    }

    /// An ask to argue about a general claim: a quantifier or necessity (every, always, must,
    /// impossible) and an ask for the argument (justify, does it follow, which is which, where
    /// is the flaw, not examples) or a supposition and a question; not about content pointed
    /// at or a small artifact (an essay that argues), no code, no advice asked.
    fn argument(&self, code_words: u32) -> bool {
        let s = &self.sets;
        s[S_GENERAL] > 0
            && (s[S_JUSTIFY] > 0 || (s[S_SUPPOSE] > 0 && self.questions > 0))
            && !self.text.code
            && code_words == 0
            && !self.pointed()
            && s[S_SMALL] + s[S_ADVICE] + s[S_TEXTOP] == 0
    }
}

/// The structural rules of a spec, with their thresholds.
#[derive(Debug, Clone)]
pub struct Structure {
    definition_max_units: f64,
    word_problem_min_tokens: f64,
    requirements_min_items: i64,
    requirements_min_units: f64,
    requirements_min_evidence: i64,
    long_ask_min_units: f64,
    long_ask_min_evidence: i64,
    open_ask_min_units: f64,
    ordering_min_comparisons: i64,
    choice_min_options: u32,
    /// The comparison marks (leftmost first, non-overlapping); `None` without any.
    comparison_marks: Option<AhoCorasick>,
    /// Rules switched off: bit `code - FIRST_STRUCTURE_RULE`.
    disabled: u32,
}

impl Structure {
    /// The rules of `spec` (thresholds finite and >= 0, rules known by name).
    pub fn from_spec(
        spec: &StructureSpec,
        word_problem_min_tokens: f64,
    ) -> Result<Self, SpecError> {
        let units = |value: f64, key: &str| {
            if value.is_finite() && value >= 0.0 {
                Ok(value)
            } else {
                Err(SpecError(format!(
                    "structure.{key}: must be a finite number >= 0, got {value}"
                )))
            }
        };
        let mut disabled = 0u32;
        for name in &spec.disabled {
            match RULES[FIRST_STRUCTURE_RULE..].iter().position(|r| r == name) {
                Some(i) => disabled |= 1 << i,
                None => {
                    return Err(SpecError(format!(
                        "structure.disabled: unknown structural rule {name:?}"
                    )))
                }
            }
        }
        let comparison_marks = if spec.comparisons.is_empty() {
            None
        } else {
            let marks = AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&spec.comparisons)
                .map_err(|e| SpecError(format!("structure.comparisons: {e}")))?;
            Some(marks)
        };
        Ok(Structure {
            definition_max_units: units(spec.definition_max_units, "definition_max_units")?,
            word_problem_min_tokens,
            requirements_min_items: spec.requirements_min_items as i64,
            requirements_min_units: units(spec.requirements_min_units, "requirements_min_units")?,
            requirements_min_evidence: spec.requirements_min_evidence as i64,
            long_ask_min_units: units(spec.long_ask_min_units, "long_ask_min_units")?,
            long_ask_min_evidence: spec.long_ask_min_evidence as i64,
            open_ask_min_units: units(spec.open_ask_min_units, "open_ask_min_units")?,
            ordering_min_comparisons: spec.ordering_min_comparisons as i64,
            choice_min_options: spec.choice_min_options,
            comparison_marks,
            disabled,
        })
    }

    fn off(&self, rule: u8) -> bool {
        off(self.disabled, rule)
    }

    /// The signals of a text, given its text signals (`skeleton`), its question marks and the
    /// distinct keywords of each set it holds.
    pub fn signals(
        text: TextSignals,
        questions: u64,
        sets: [u32; STRUCTURE_SETS.len()],
    ) -> Signals {
        Signals::new(text, questions, sets)
    }

    /// Quantities given and one asked for: a word problem (also the reasoning signal of the
    /// weighted score).
    pub fn word_problem(
        &self,
        sig: &Signals,
        tokens: f64,
        code_words: u32,
        technical: u32,
    ) -> bool {
        let t = &sig.text;
        if t.code || code_words >= 2 || tokens < self.word_problem_min_tokens {
            return false;
        }
        let s = &sig.sets;
        let asked = t.question_end || !sig.pointed();
        if s[S_STRONG] > 0 && t.quantities >= 1 && asked {
            return true;
        }
        if s[S_LARGE] > 0 {
            return false;
        }
        if s[S_QUANTITY] > 0
            && t.quantities >= 2
            && asked
            && (t.sentences >= 2 || t.units >= 8.0)
            && (technical == 0 || t.question_end)
        {
            return true;
        }
        // Numbers dense enough to be the point of the text, and a question about them.
        t.quantities >= 3
            && t.question_end
            && technical == 0
            && s[S_REQUEST] + s[S_ADVICE] == 0
            && (t.quantities * 15) as f64 >= t.units
    }

    /// Occurrences of the comparison marks in `text` (leftmost first, non-overlapping).
    pub fn comparisons(&self, text: &str) -> i64 {
        self.comparison_marks
            .as_ref()
            .map_or(0, |marks| marks.find_iter(text).count() as i64)
    }

    /// An ordering puzzle: comparisons between several things (a comparison mark repeated: "A
    /// is older than B, B is older than C") and an ask to pick one out or put them in order;
    /// not a comparison of products or options (a work object, plan terms, advice asked, an
    /// ask to compare), no code. A pointer word does not count against it (the Russian
    /// comparatives выше, ниже are also "above", "below"); "this" with a work object does.
    /// The marks are counted only when the rest holds.
    fn ordering(&self, sig: &Signals, text: &str, code_words: u32) -> bool {
        let s = &sig.sets;
        if s[S_ORDER] == 0
            || sig.text.code
            || code_words > 0
            || s[S_SMALL] + s[S_LARGE] + s[S_ADVICE] + s[S_PLAN] + s[S_TEXTOP] + s[S_CONTRAST] > 0
        {
            return false;
        }
        let n = self.comparisons(text);
        // In one sentence, two comparisons make a chain under a condition ("if A is faster than
        // B and B faster than C").
        let chained = sig.text.sentences >= 2 || s[S_CONDITION] + s[S_SUPPOSE] > 0;
        n >= self.ordering_min_comparisons && (n >= 3 || chained)
    }

    /// The answer options of `text` (the most distinct labels of one script, see
    /// `option_of`) and the byte offset where the first label starts (`text.len()` without
    /// one). A letter-like label closes with ")" ("A)", "(b)", "а)", "가)", "أ)"), or with "."
    /// and a blank ("A. 1"), or at a line start with ":" and a blank; a katakana or stem label
    /// stands alone between blanks; a circled number counts anywhere. A label follows the
    /// text's start, a blank, a line break, "(", "?" or ":".
    pub fn options(text: &str) -> (u32, usize) {
        let mut seen = [0u32; OPTION_SCRIPTS];
        let mut first = text.len();
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let byte = b[i];
            // Most bytes are no label: an ASCII one only when a-e, A-E before ")", ".", ":" or
            // a full-width mark; a continuation byte never starts one.
            let c = if byte < 0x80 {
                if !byte.is_ascii_alphabetic()
                    || !matches!(byte | 0x20, b'a'..=b'e')
                    || !matches!(b.get(i + 1), Some(b')' | b'.' | b':' | 0xEF))
                {
                    i += 1;
                    continue;
                }
                byte as char
            } else if byte >= 0xC0 {
                text[i..].chars().next().unwrap_or('\0')
            } else {
                i += 1;
                continue;
            };
            let len = c.len_utf8();
            let Some((script, bit)) = option_of(c) else {
                i += len;
                continue;
            };
            let prev = text[..i].chars().next_back().unwrap_or('\n');
            let mut rest = text[i + len..].chars();
            let (after, next) = (rest.next(), rest.next());
            let ok = if script == CIRCLED {
                true
            } else if !before_option(prev) {
                false
            } else if script < LETTER_SCRIPTS {
                let blank_next = next.is_some_and(blank);
                match after {
                    Some(')' | '）') => true,
                    Some('.' | '．') => blank_next,
                    Some(':') => prev == '\n' && blank_next,
                    _ => false,
                }
            } else {
                after.is_none_or(|a| {
                    matches!(
                        a,
                        ' ' | '\t' | '\n' | '\u{3000}' | ')' | '）' | '.' | '．' | ':' | '：'
                    )
                })
            };
            if ok {
                seen[script] |= 1 << bit;
                first = first.min(i);
            }
            i += len;
        }
        let count = seen.iter().map(|b| b.count_ones()).max().unwrap_or(0);
        (count, first)
    }

    /// (numbers, marks) of a choice question's stem: digit runs ("1.5" one, a year 1900-2099
    /// none) and math notation the skeleton leaves out (a power "2^100", "≡", "√", "²", a
    /// factorial "7!" or "n!", "mod").
    pub fn stem_problem(stem: &str) -> (i64, i64) {
        let (mut numbers, mut marks) = (0i64, 0i64);
        let b = stem.as_bytes();
        let mut i = 0;
        let (mut prev, mut prev2) = ('\0', '\0');
        for (k, c) in stem.char_indices() {
            if k < i {
                continue; // inside a digit run already read
            }
            if c.is_ascii_digit() {
                let mut j = k;
                let mut joined = false;
                while j < b.len()
                    && (b[j].is_ascii_digit()
                        || (matches!(b[j], b'.' | b',')
                            && b.get(j + 1).is_some_and(u8::is_ascii_digit)))
                {
                    joined |= !b[j].is_ascii_digit();
                    j += 1;
                }
                let run = &stem[k..j];
                let year = !joined && run.len() == 4 && ("1900"..="2099").contains(&run);
                numbers += !year as i64;
                marks += (b.get(j) == Some(&b'!')) as i64;
                i = j;
                (prev2, prev) = ('0', '0');
                continue;
            }
            // (a factorial of a one-letter variable: "n!")
            let factorial = c == '!' && prev.is_ascii_alphabetic() && !prev2.is_ascii_alphabetic();
            marks += (matches!(c, '^' | '≡' | '√' | '²' | '³') || factorial) as i64;
            (prev2, prev) = (prev, c);
        }
        marks += (stem.matches(" mod ").count() + stem.matches("(mod ").count()) as i64;
        (numbers, marks)
    }

    /// A choice question: its answer options (0 below `choice_min_options`) and whether its
    /// stem holds a problem (math notation, two numbers, or one and a quantity asked for)
    /// rather than trivia ("which of these is a mammal?"). An ask, no code, no advice, no
    /// large object, no text operation; the options are read only when the rest holds.
    fn choice(&self, sig: &Signals, text: &str, code_words: u32, task: bool) -> (u32, bool) {
        let (t, s) = (&sig.text, &sig.sets);
        if t.code
            || code_words >= 2
            || s[S_ADVICE] + s[S_LARGE] + s[S_TEXTOP] > 0
            || !(sig.questions > 0 || s[S_ORDER] > 0 || s[S_QUANTITY] > 0 || t.request_end || task)
        {
            return (0, false);
        }
        let (count, first) = Self::options(text);
        if count < self.choice_min_options {
            return (0, false);
        }
        let (numbers, marks) = Self::stem_problem(&text[..first]);
        let numbers = numbers + s[S_NUMBER] as i64;
        let problem = marks > 0
            || t.math > 0
            || numbers >= 2
            || (numbers >= 1 && s[S_QUANTITY] + s[S_STRONG] > 0);
        (count, problem)
    }

    /// Math notation the skeleton leaves out, read from the text: a logarithm of a variable
    /// ("n log n", "log(n)", "log2 n"; "log" not inside a word), and an expression of powers
    /// of numbers: two powers ("2^100 or 10^30"), or one with a factorial or a modulus ("100!
    /// or 100^100", "2^100 mod 7"). One power alone is often a size ("2^32 addresses").
    pub fn notation(text: &str) -> i64 {
        let b = text.as_bytes();
        let n = b.len();
        let letter = |i: usize| b.get(i).is_some_and(u8::is_ascii_alphabetic);
        let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
        let mut marks = 0i64;
        // (Most texts hold neither "log" nor "^": a fast `contains` first.)
        if text.contains("log") {
            for (i, _) in text.match_indices("log") {
                if i > 0 && letter(i - 1) {
                    continue;
                }
                let mut j = i + 3;
                while j < n && (b[j].is_ascii_digit() || b[j] == b'_') {
                    j += 1;
                }
                if j + 1 < n && matches!(b[j], b' ' | b'(') {
                    marks += (letter(j + 1) && !letter(j + 2)) as i64;
                }
            }
        }
        let after_digit = |c: char| {
            text.match_indices(c)
                .filter(|&(i, _)| i > 0 && digit(i - 1) && (c == '!' || digit(i + 1)))
                .count() as i64
        };
        let powers = if b.contains(&b'^') {
            after_digit('^')
        } else {
            0
        };
        if powers > 0 {
            let terms = powers
                + (text.matches(" mod ").count() + text.matches("(mod ").count()) as i64
                + after_digit('!');
            if terms >= 2 {
                marks += terms;
            }
        }
        marks
    }

    /// An ask in the second person conditional, read from the text: a Spanish word ending in
    /// -arías or -irías ("¿cómo lo reorganizarías?", "¿qué elegirías?"), or "você"/"vocês" and
    /// a word ending in -aria, -iria, -ariam or -iriam ("como você estruturaria?"); the word
    /// ends at the text's end or an ASCII byte other than a letter or a digit. The -er forms
    /// are left out: they are also nouns (librerías) and the polite request (¿podrías?, você
    /// poderia).
    pub fn conditional_ask(text: &str) -> bool {
        let b = text.as_bytes();
        let word_end = |i: usize| {
            b.get(i)
                .is_none_or(|&c| c < 0x80 && !c.is_ascii_alphanumeric())
        };
        let spanish = text.match_indices("ías").any(|(i, m)| {
            i >= 2 && b[i - 1] == b'r' && matches!(b[i - 2], b'a' | b'i') && word_end(i + m.len())
        });
        spanish
            || text.match_indices("ocê").any(|(i, m)| {
                let mut j = i + m.len();
                if b.get(j) == Some(&b's') {
                    j += 1;
                }
                if b.get(j) != Some(&b' ') {
                    return false;
                }
                let mut k = j + 1;
                while !word_end(k) {
                    k += 1;
                }
                let word = &b[j + 1..k];
                [&b"aria"[..], b"iria", b"ariam", b"iriam"]
                    .iter()
                    .any(|end| word.ends_with(end))
            })
    }

    /// A classic riddle said in few words: weighing with a balance or ferrying across a river
    /// (one of its frame words with a number, a least or a guarantee, or two and no quantity
    /// asked for), or a question for the least number that guarantees something ("how many
    /// socks at least to be sure of a pair?"); nothing pointed at, no code, work object,
    /// advice, plan terms or text operation. Also two frames of a logic puzzle (a liar and a
    /// truth-teller, players taking turns) in two sentences or more, with an ask; or a puzzle
    /// set by a constraint on a general claim ("only ... no one knows ...", "every bridge
    /// exactly once"), asked in >= 15 words and two sentences or under a condition, with no
    /// task, no technical, format or brief-answer words, nothing "this" or "my".
    fn riddle(sig: &Signals, code_words: u32, task: bool, per_set: &[u32]) -> bool {
        let (t, s) = (&sig.text, &sig.sets);
        if t.code
            || code_words > 0
            || sig.pointed()
            || s[S_SMALL] + s[S_LARGE] + s[S_ADVICE] + s[S_PLAN] + s[S_TEXTOP] > 0
        {
            return false;
        }
        let asked = sig.questions > 0 || task || t.request_end;
        if s[S_PUZZLE] >= 2 && t.sentences >= 2 && asked {
            return true;
        }
        if per_set[K_CONSTRAINT] > 0
            && s[S_GENERAL] > 0
            && sig.questions > 0
            && t.units >= 15.0
            && (t.sentences >= 2 || s[S_CONDITION] + s[S_SUPPOSE] > 0)
            && !task
            && per_set[K_TECHNICAL] + per_set[K_FORMAT] + s[S_BRIEF] + s[S_DEMONSTRATIVE] == 0
        {
            return true;
        }
        if s[S_FRAME] > 0 {
            // Two frame words ask "how?" ("across the river ... the boat"); "how long does it
            // take to cross the river by boat" asks for a quantity that is looked up.
            return t.quantities >= 1
                || s[S_LEAST] + s[S_GUARANTEE] > 0
                || (s[S_FRAME] >= 2 && s[S_QUANTITY] == 0);
        }
        s[S_LEAST] > 0 && s[S_GUARANTEE] > 0 && s[S_QUANTITY] > 0 && asked
    }

    /// The tier after the structural rules, and the rule that set it (`None`: unchanged);
    /// `text`: the prompt (for the comparison marks); `prior_rule`: the rule that set `tier`;
    /// `options`: answer-option letters.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &self,
        sig: &Signals,
        text: &str,
        tier: u8,
        prior_rule: u8,
        tokens: f64,
        per_set: &[u32],
        options: u64,
    ) -> (u8, Option<u8>) {
        let (t, s) = (&sig.text, &sig.sets);
        let code_words = per_set[K_CODE];
        let technical = per_set[K_TECHNICAL];
        let proof = per_set[K_PROOF] > 0 || per_set[K_REASONING] >= 2;
        let large = s[S_LARGE] > 0;
        let pointed = sig.pointed();
        // Content handed over to work on ("shorten my text: ..."): its list is not a list of asks.
        let payload = (pointed && !large) || s[S_TEXTOP] > 0;
        let brief = s[S_BRIEF] > 0;
        // Asked for briefly, an explanation (explain, tell me) is a question in request form:
        // no task unless something else is requested too.
        let explained =
            brief && s[S_REQUEST] <= s[S_EXPLAIN] && per_set[K_IMPERATIVE] + s[S_REWORK] == 0;
        let task = !explained
            && s[S_REQUEST] + per_set[K_IMPERATIVE] + s[S_REWORK] + t.request_end as u32 > 0;
        // Evidence of size.
        let evidence = (s[S_SCOPE] > 0) as i64
            + large as i64
            + (s[S_PLAN] >= 2) as i64
            + (s[S_PLAN] >= 4) as i64
            + t.scale as i64
            + (t.sentences >= 3) as i64
            + (t.quantities >= 3) as i64
            + (per_set[K_HARD] > 0) as i64;

        let mut at = Lift {
            floor: tier,
            rule: None,
            disabled: self.disabled,
        };
        // REASONING: math notation, a word problem, a logic puzzle, a counterexample.
        if !t.code && code_words < 2 && tier < REASONING {
            // A "why" asks without a question mark ("why is heapify linear and not n log n").
            let asked = sig.questions > 0 || task || s[S_WHY] > 0;
            // Notation the skeleton leaves out is read only when it found none.
            let marks = if t.math > 0 {
                t.math
            } else {
                Self::notation(text)
            };
            if marks >= 2 || (marks == 1 && asked) {
                at.lift(REASONING, MATH);
            }
        }
        // The choice question, read once when needed.
        let mut posed: Option<(u32, bool)> = None;
        let mut choice = || {
            *posed.get_or_insert_with(|| {
                if self.off(CHOICE) {
                    (0, false)
                } else {
                    self.choice(sig, text, code_words, task)
                }
            })
        };
        // (The numbers of a quiz's options are no quantities given: "how many legs does a
        // spider have? A) 6 B) 8" is no word problem.)
        if at.floor < REASONING
            && self.word_problem(sig, tokens, code_words, technical)
            && !matches!(choice(), (n, false) if n > 0)
        {
            at.lift(REASONING, WORD_PROBLEM);
        }
        if (t.names >= 3 && !large)
            || (at.floor < REASONING && Self::riddle(sig, code_words, task, per_set))
        {
            at.lift(REASONING, PUZZLE);
        }
        if at.floor < REASONING && !self.off(ORDERING) && self.ordering(sig, text, code_words) {
            at.lift(REASONING, ORDERING);
        }
        if at.floor < REASONING && choice().1 {
            at.lift(REASONING, CHOICE);
        }
        // A counterexample, "show your work", a winning strategy; or a quantity asked for with
        // its reasoning ("roughly how many piano tuners work in Chicago? walk me through it").
        if s[S_REASONING] > 0 || (s[S_QUANTITY] > 0 && per_set[K_REASONING] > 0) {
            at.lift(REASONING, REASONING_ASK);
        }
        if sig.argument(code_words) {
            at.lift(REASONING, ARGUMENT);
        }
        if at.floor >= REASONING {
            return (at.floor, at.rule);
        }
        // COMPLEX: rework of a large object; requirement lists; open asks about a described
        // situation; long asks with evidence of size.
        // (Or a rework at scale: "redo the matchmaking for 2 million players"; not content
        // handed over, "rewrite my essay in under 1,000 words".)
        if (large && (s[S_REWORK] > 0 || (s[S_SCOPE] > 0 && task)))
            || (s[S_REWORK] > 0 && t.scale && !payload)
        {
            at.lift(COMPLEX, REWORK);
        }
        // A small artifact (a query, a regex, an email) with conditions is not a requirement list.
        let small_only = s[S_SMALL] > 0 && !large && s[S_SCOPE] == 0;
        // An open ask in the conditional with no open-ask keyword ("tenemos ... ¿cómo lo
        // reorganizarías?"), read only after a situation described with a question.
        let opened = s[S_OPEN] > 0
            || (at.floor < COMPLEX
                && t.sentences >= 2
                && sig.questions > 0
                && Self::conditional_ask(text));
        if !payload
            && !small_only
            && options < 3 // answer options (A, B, C) are not requirements
            // A list asked about closes with a question ("which of A, B, C?"); after a situation
            // described, an ask for an approach or advice ("how would you build it?") is a task.
            && (task || !t.question_end || (t.sentences >= 2 && (opened || s[S_ADVICE] > 0)))
            && t.items >= self.requirements_min_items
        {
            // Evidence of size: a large object (in a longer ask), scope, scale, plan terms (one
            // is enough for four items or more), or two other marks.
            let sized = (large && t.units >= 20.0)
                || s[S_SCOPE] > 0
                || t.scale
                || evidence >= self.requirements_min_evidence
                || (s[S_PLAN] > 0 && t.items >= 4);
            // (or a long list of five, not a question)
            let long_list = t.items >= 5 && t.units >= 30.0 && !t.question_end;
            if (t.units >= self.requirements_min_units && sized) || long_list {
                at.lift(COMPLEX, REQUIREMENTS);
            }
        }
        if opened
            && t.sentences >= 2
            && t.units >= self.open_ask_min_units
            && (technical + code_words > 0 || t.quantities >= 2 || evidence > 0)
        {
            at.lift(COMPLEX, OPEN_ASK);
        }
        if !payload
            && t.units >= self.long_ask_min_units
            && t.clauses >= 4
            && evidence >= self.long_ask_min_evidence
        {
            at.lift(COMPLEX, LONG_ASK);
        }
        // MEDIUM: work on content pointed at, or a request to produce something; a question
        // that gives numbers to work with (a situation, not a lookup).
        if pointed || (task && t.units >= 4.0) {
            at.lift(MEDIUM, REQUEST);
        }
        // Advice or an approach asked after a situation described ("my dog won't eat since
        // yesterday. should I worry?"); not small talk (thanks, hello) or a change of topic.
        if (s[S_ADVICE] > 0 || opened)
            && t.sentences >= 2
            && per_set[K_SIMPLE] + per_set[K_TOPIC_SHIFT] == 0
        {
            at.lift(MEDIUM, REQUEST);
        }
        if t.question_end && t.quantities - t.years >= 2 && t.units >= 8.0 {
            at.lift(MEDIUM, NUMBERS_QUESTION);
        }
        // A quiz with three options or more asks to weigh them (as the score's option letters
        // do).
        if at.floor < MEDIUM && choice().0 >= 3 {
            at.lift(MEDIUM, CHOICE);
        }
        if at.rule.is_some() || proof || !CAPPABLE.contains(&prior_rule) {
            return (at.floor, at.rule);
        }
        // Ceilings: a short definitional question (or one asked to be answered briefly); short
        // work on a small object.
        let briefly = brief
            && (sig.questions > 0 || s[S_EXPLAIN] > 0)
            && sig.questions <= 1
            && t.items < 3
            && s[S_CONTRAST] == 0;
        // A short plain question (one sentence, <= 10 words) that asks for nothing more: no
        // advice or judgement (worth it, overkill, suitable), approach, contrast, explanation or
        // how-to (how does it work, how do I), reason or quantity, nothing pointed at, no
        // negation and no comparison mark ("does the iPhone use machine learning for Face ID?";
        // not "is Rust faster than Go for web servers?"). The marks are counted only when the
        // rest holds.
        let plain = tier == MEDIUM
            && t.sentences == 1
            && t.question_end
            && sig.questions == 1
            && t.units <= 10.0
            && s[S_OPEN] + s[S_CONTRAST] + s[S_EXPLAIN] + s[S_BRIEF] + s[S_WHY] + s[S_QUANTITY]
                == 0
            && !pointed
            && per_set[K_NEGATION] == 0
            && code_words < 2
            && self.comparisons(text) == 0;
        if tier > SIMPLE
            && !self.off(DEFINITION)
            && (s[S_DEFINITION] > 0 || briefly || sig.why(per_set) || plain)
            && s[S_ADVICE] + s[S_OPEN] == 0
            && t.units <= self.definition_max_units
            && (t.sentences <= 1 || (t.sentences == 2 && (t.units <= 8.0 || briefly)))
            && !(briefly && code_words >= 2)
            && !task
            && t.quantities < 2
            && t.math == 0
            && !t.code
        {
            return (SIMPLE, Some(DEFINITION));
        }
        if tier > MEDIUM
            && !self.off(SMALL_OBJECT)
            && pointed
            && s[S_SMALL] > 0
            && !large
            && s[S_SCOPE] == 0
            && t.units <= 15.0
        {
            return (MEDIUM, Some(SMALL_OBJECT));
        }
        (tier, None)
    }
}

fn off(disabled: u32, rule: u8) -> bool {
    disabled >> (rule as usize - FIRST_STRUCTURE_RULE) & 1 == 1
}

/// The floor the rules have lifted a tier to, and the last rule that lifted it.
struct Lift {
    floor: u8,
    rule: Option<u8>,
    disabled: u32,
}

impl Lift {
    /// Lifts the tier to `to` by rule `code` (a floor: it only raises), unless switched off.
    fn lift(&mut self, to: u8, code: u8) {
        if self.floor < to && !off(self.disabled, code) {
            (self.floor, self.rule) = (to, Some(code));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> TextSignals {
        crate::skeleton::read(text, crate::text::count_chars(text).cjk, &mut Vec::new())
    }

    #[test]
    fn rule_codes_name_the_right_rules() {
        for (code, name) in [
            (MATH, "math"),
            (WORD_PROBLEM, "word_problem"),
            (PUZZLE, "puzzle"),
            (ORDERING, "ordering"),
            (CHOICE, "choice"),
            (REASONING_ASK, "reasoning_ask"),
            (ARGUMENT, "argument"),
            (REWORK, "rework"),
            (REQUIREMENTS, "requirements"),
            (LONG_ASK, "long_ask"),
            (OPEN_ASK, "open_ask"),
            (REQUEST, "request"),
            (NUMBERS_QUESTION, "numbers_question"),
            (DEFINITION, "definition"),
            (SMALL_OBJECT, "small_object"),
        ] {
            assert_eq!(RULES[code as usize], name);
        }
        for (s, name) in [
            (S_DEFINITION, "definition"),
            (S_QUANTITY, "quantityAsks"),
            (S_NUMBER, "numberWords"),
            (S_REWORK, "reworkVerbs"),
            (S_LARGE, "largeObjects"),
            (S_SMALL, "smallObjects"),
            (S_SCOPE, "scope"),
            (S_POINTER, "pointers"),
            (S_DEMONSTRATIVE, "demonstratives"),
            (S_REQUEST, "requests"),
            (S_PLAN, "planTerms"),
            (S_SCALE, "scaleWords"),
            (S_STRONG, "strongAsks"),
            (S_REASONING, "reasoningAsks"),
            (S_OPEN, "openAsks"),
            (S_ADVICE, "adviceAsks"),
            (S_TEXTOP, "textOps"),
            (S_JUSTIFY, "justifyAsks"),
            (S_GENERAL, "generalClaims"),
            (S_SUPPOSE, "suppositions"),
            (S_ORDER, "orderAsks"),
            (S_BRIEF, "briefAsks"),
            (S_CONTRAST, "contrastAsks"),
            (S_EXPLAIN, "explainAsks"),
        ] {
            assert_eq!(STRUCTURE_SETS[s], name);
        }
    }

    #[test]
    fn text_signals() {
        assert_eq!(read("One. Two! Three? Four").sentences, 4);
        assert_eq!(read("第一句。第二句！第三句？").sentences, 3);
        assert_eq!(
            read("Build an API with auth, search, loans, and a dashboard.").items,
            4
        );
        assert_eq!(read("Requirements:\n- a\n- b\n- c").items, 3);
        assert_eq!(read("成果物 ①要件 ②設計 ③テスト").items, 3);
        assert_eq!(read("Deliver: 1) spec 2) code 3) tests").items, 3);
        assert_eq!(read("Scenario 1 | A. Scenario 2 | B.").quantities, 0);
        assert_eq!(read("it costs 1,530 yen on 1945年8月15日").quantities, 2);
        assert_eq!(read("三个苹果和五十五个梨").quantities, 2);
        assert!(read("solve x^2 - 5x + 6 = 0").math >= 3);
        assert_eq!(read("O(n log n) vs O(1)").math, 1);
        assert_eq!(
            read("we use C++ and 10^12 records, e-commerce at 120 km/h").math,
            0
        );
        let puzzle = read("Luis, Marta y Pedro tienen un perro. ¿Quién tiene el gato?");
        assert_eq!(puzzle.names, 3);
        assert!(read("about 40,000 students").scale);
        let years = read("in 2023 we had 300 users");
        assert_eq!((years.scale, years.years), (false, 1));
        assert!(read("500만 명").scale);
        assert_eq!(read("x  y\tz\n").units, 3.0);
        assert!(read("これを翻訳してください。").request_end);
        assert!(read("is it? ...").question_end);
    }

    #[test]
    fn names_are_read_in_linear_time() {
        let chain = "Hi. ".to_string() + &"Ab, ".repeat(20_000) + "Abcdefghijklmnopqrs?";
        assert_eq!(read(&chain).names, 0);
        let ok = "Hi. ".to_string() + &"Ab, ".repeat(20_000) + "Cd?";
        assert_eq!(read(&ok).names, 20_001);
    }
}
