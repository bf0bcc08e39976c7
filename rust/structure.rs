//! Structural signals and rules: what a prompt asks for, read from its shape as much as from
//! its words. The Python twin, whose module docstring is the rule spec, is `_structure.py`.
//!
//! The signals are the text's (`skeleton`) and the distinct keywords of each structure set
//! (`STRUCTURE_SETS`), which the scorer finds in its one keyword scan. The rules run after the
//! score and its rules: floors that only raise the tier (REASONING: math, word problems,
//! puzzles, ordering puzzles, counterexamples, arguments about a general claim; COMPLEX: rework
//! of a large object, requirement lists, open asks, long asks; MEDIUM: requests, questions that
//! give numbers), then two ceilings that only lower a tier set by the score or the hard-ask
//! floor (a short definitional question, or one asked to be answered briefly, is SIMPLE; short
//! work on a small object is at most MEDIUM).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::skeleton::TextSignals;
use crate::spec::{SpecError, StructureSpec};
use crate::tables::{
    FIRST_STRUCTURE_RULE, K_CODE, K_HARD, K_IMPERATIVE, K_PROOF, K_REASONING, K_TECHNICAL, RULES,
    STRUCTURE_SETS,
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
const REASONING_ASK: u8 = MATH + 4;
const ARGUMENT: u8 = MATH + 5;
const REWORK: u8 = MATH + 6;
const REQUIREMENTS: u8 = MATH + 7;
const LONG_ASK: u8 = MATH + 8;
const OPEN_ASK: u8 = MATH + 9;
const REQUEST: u8 = MATH + 10;
const NUMBERS_QUESTION: u8 = MATH + 11;
const DEFINITION: u8 = MATH + 12;
const SMALL_OBJECT: u8 = MATH + 13;

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
    /// ask to compare), no code, nothing pointed at. The marks are counted only when the rest
    /// holds.
    fn ordering(&self, sig: &Signals, text: &str, code_words: u32) -> bool {
        let s = &sig.sets;
        if s[S_ORDER] == 0
            || sig.text.code
            || code_words > 0
            || sig.pointed()
            || s[S_SMALL] + s[S_LARGE] + s[S_ADVICE] + s[S_PLAN] + s[S_TEXTOP] + s[S_CONTRAST] > 0
        {
            return false;
        }
        let n = self.comparisons(text);
        n >= self.ordering_min_comparisons && (n >= 3 || sig.text.sentences >= 2)
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
        if !t.code
            && code_words < 2
            && (t.math >= 2 || (t.math == 1 && (sig.questions > 0 || task)))
        {
            at.lift(REASONING, MATH);
        }
        if at.floor < REASONING && self.word_problem(sig, tokens, code_words, technical) {
            at.lift(REASONING, WORD_PROBLEM);
        }
        if t.names >= 3 && !large {
            at.lift(REASONING, PUZZLE);
        }
        if at.floor < REASONING && !self.off(ORDERING) && self.ordering(sig, text, code_words) {
            at.lift(REASONING, ORDERING);
        }
        if s[S_REASONING] > 0 {
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
        if large && (s[S_REWORK] > 0 || (s[S_SCOPE] > 0 && task)) {
            at.lift(COMPLEX, REWORK);
        }
        // A small artifact (a query, a regex, an email) with conditions is not a requirement list.
        let small_only = s[S_SMALL] > 0 && !large && s[S_SCOPE] == 0;
        if !payload
            && !small_only
            && options < 3 // answer options (A, B, C) are not requirements
            && (task || !t.question_end)
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
        if s[S_OPEN] > 0
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
        if t.question_end && t.quantities - t.years >= 2 && t.units >= 8.0 {
            at.lift(MEDIUM, NUMBERS_QUESTION);
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
        if tier > SIMPLE
            && !self.off(DEFINITION)
            && (s[S_DEFINITION] > 0 || briefly)
            && s[S_ADVICE] == 0
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
