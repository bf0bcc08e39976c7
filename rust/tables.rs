//! The names both scorers number things by: dimensions, keyword sets, tiers, rules and the
//! structure's keyword sets. The Python twin is `smart_llm_router.tables`; the binding exports
//! these, and the parity tests compare the two entry by entry.

/// The 15 weighted dimensions, in the order of `ScoreOutput::raw`.
pub const DIMENSIONS: [&str; 15] = [
    "reasoningMarkers",
    "codePresence",
    "multiStepPatterns",
    "technicalTerms",
    "tokenCount",
    "creativeMarkers",
    "questionComplexity",
    "constraintCount",
    "agenticTask",
    "imperativeVerbs",
    "outputFormat",
    "referenceComplexity",
    "domainSpecificity",
    "simpleIndicators",
    "negationComplexity",
];

/// Keyword sets in keyword-id order: every dimension but tokenCount, then the sets that only
/// feed rules (structured output in the system prompt, hard asks, proof asks) and the
/// follow-up and topic-shift markers the conversation policy reads (they never change the
/// score).
pub const KEYWORD_SETS: [&str; 19] = [
    "reasoningMarkers",
    "codePresence",
    "multiStepPatterns",
    "technicalTerms",
    "creativeMarkers",
    "questionComplexity",
    "constraintCount",
    "agenticTask",
    "imperativeVerbs",
    "outputFormat",
    "referenceComplexity",
    "domainSpecificity",
    "simpleIndicators",
    "negationComplexity",
    "structuredOutput",
    "hardAsks",
    "proofAsks",
    "continuations",
    "topicShifts",
];

pub const TIERS: [&str; 4] = ["SIMPLE", "MEDIUM", "COMPLEX", "REASONING"];

/// Which rule decided the tier (`ScoreOutput::rule`): the score and its rules, then the
/// structural rules (`structure`) in the order they are tried.
pub const RULES: [&str; 23] = [
    "score",
    "ambiguous",
    "reasoning_markers",
    "long_context",
    "hard_ask",
    "structured_output",
    "proof_ask",
    "agentic_steps",
    "math",
    "word_problem",
    "puzzle",
    "ordering",
    "choice",
    "reasoning_ask",
    "argument",
    "rework",
    "requirements",
    "long_ask",
    "open_ask",
    "request",
    "numbers_question",
    "definition",
    "small_object",
];

/// The first structural rule in `RULES`.
pub const FIRST_STRUCTURE_RULE: usize = 8;

/// The keyword sets of the structural signals, in the order of `Signals::sets`.
pub const STRUCTURE_SETS: [&str; 30] = [
    "definition",
    "quantityAsks",
    "numberWords",
    "reworkVerbs",
    "largeObjects",
    "smallObjects",
    "scope",
    "pointers",
    "demonstratives",
    "requests",
    "planTerms",
    "scaleWords",
    "strongAsks",
    "reasoningAsks",
    "openAsks",
    "adviceAsks",
    "textOps",
    "justifyAsks",
    "generalClaims",
    "suppositions",
    "orderAsks",
    "briefAsks",
    "contrastAsks",
    "explainAsks",
    "riddleFrames",
    "leastAsks",
    "guarantees",
    "conditions",
    "puzzleFrames",
    "whyAsks",
];

// Indices into DIMENSIONS...
pub const D_REASONING: usize = 0;
pub const D_MULTISTEP: usize = 2;
pub const D_TOKENS: usize = 4;
pub const D_QUESTION: usize = 6;
pub const D_SIMPLE: usize = 13;
// ...and into KEYWORD_SETS.
pub const K_REASONING: usize = 0;
pub const K_CODE: usize = 1;
pub const K_MULTISTEP: usize = 2;
pub const K_TECHNICAL: usize = 3;
pub const K_CONSTRAINT: usize = 6;
pub const K_AGENTIC: usize = 7;
pub const K_IMPERATIVE: usize = 8;
pub const K_FORMAT: usize = 9;
pub const K_DOMAIN: usize = 11;
pub const K_SIMPLE: usize = 12;
pub const K_NEGATION: usize = 13;
pub const K_STRUCTURED: usize = 14;
pub const K_HARD: usize = 15;
pub const K_PROOF: usize = 16;
pub const K_TOPIC_SHIFT: usize = 18;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_constants_name_the_right_sets() {
        for (d, name) in [
            (D_REASONING, "reasoningMarkers"),
            (D_MULTISTEP, "multiStepPatterns"),
            (D_TOKENS, "tokenCount"),
            (D_QUESTION, "questionComplexity"),
            (D_SIMPLE, "simpleIndicators"),
        ] {
            assert_eq!(DIMENSIONS[d], name);
        }
        for (k, name) in [
            (K_REASONING, "reasoningMarkers"),
            (K_CODE, "codePresence"),
            (K_MULTISTEP, "multiStepPatterns"),
            (K_TECHNICAL, "technicalTerms"),
            (K_CONSTRAINT, "constraintCount"),
            (K_AGENTIC, "agenticTask"),
            (K_IMPERATIVE, "imperativeVerbs"),
            (K_FORMAT, "outputFormat"),
            (K_DOMAIN, "domainSpecificity"),
            (K_SIMPLE, "simpleIndicators"),
            (K_NEGATION, "negationComplexity"),
            (K_STRUCTURED, "structuredOutput"),
            (K_HARD, "hardAsks"),
            (K_PROOF, "proofAsks"),
            (K_TOPIC_SHIFT, "topicShifts"),
        ] {
            assert_eq!(KEYWORD_SETS[k], name);
        }
    }
}
