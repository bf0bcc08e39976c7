//! PyO3 binding: `smart_llm_router._native`. Thin by design: parse arguments, call the core,
//! return a frozen `Score`. The GIL is released while long prompts are scanned.

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;

use crate::scorer::{self, ScoreOutput};
use crate::tables;
use crate::text;

/// Prompts longer than this many bytes are scanned without holding the GIL.
const DETACH_BYTES: usize = 4096;

fn config_error(py: Python<'_>, message: String) -> PyErr {
    // The exception class is shared with the pure-Python backend.
    match py
        .import("smart_llm_router.errors")
        .and_then(|m| m.getattr("ConfigError"))
        .and_then(|cls| cls.call1((message.clone(),)))
    {
        Ok(err) => PyErr::from_value(err),
        Err(_) => pyo3::exceptions::PyValueError::new_err(message),
    }
}

/// A scorer built once from a compiled spec (JSON); immutable and thread-safe.
#[pyclass(frozen, module = "smart_llm_router._native")]
struct Scorer {
    inner: scorer::Scorer,
}

/// One prompt's score: the headline numbers as attributes, the rest (per-dimension raw
/// values, matched keyword ids, features) kept native until asked for: most callers read only
/// the tier, and building ~25 Python objects per call would cost more than scoring a short
/// prompt. `_pyscorer.Score` is the pure-Python twin with the same attributes and methods.
#[pyclass(frozen, module = "smart_llm_router._native")]
struct Score {
    /// Index into TIERS.
    #[pyo3(get)]
    tier: u8,
    #[pyo3(get)]
    score: f64,
    #[pyo3(get)]
    confidence: f64,
    #[pyo3(get)]
    ambiguous: bool,
    /// Estimated tokens (unrounded).
    #[pyo3(get)]
    tokens: f64,
    /// Index into RULES.
    #[pyo3(get)]
    rule: u8,
    /// Whether a word problem (quantities given and one asked for) counted as a reasoning
    /// signal.
    #[pyo3(get)]
    word_problem: bool,
    raw: [f64; 15],
    matched: Vec<u32>,
    features: (u64, u64, u64, u64),
}

#[pymethods]
impl Score {
    /// (raw value per dimension, matched keyword ids, (question marks, option letters,
    /// numbers, list items)).
    fn unpack(&self) -> (Vec<f64>, Vec<u32>, (u64, u64, u64, u64)) {
        (self.raw.to_vec(), self.matched.clone(), self.features)
    }

    /// The raw value of dimension `index`.
    fn raw(&self, index: usize) -> PyResult<f64> {
        self.raw
            .get(index)
            .copied()
            .ok_or_else(|| pyo3::exceptions::PyIndexError::new_err("dimension index out of range"))
    }
}

impl From<ScoreOutput> for Score {
    fn from(out: ScoreOutput) -> Self {
        let f = out.features;
        Score {
            tier: out.tier,
            score: out.score,
            confidence: out.confidence,
            ambiguous: out.ambiguous,
            tokens: out.tokens,
            rule: out.rule,
            word_problem: out.word_problem,
            raw: out.raw,
            matched: out.matched,
            features: (f.question_marks, f.choice_letters, f.numbers, f.list_items),
        }
    }
}

#[pymethods]
impl Scorer {
    #[new]
    fn new(py: Python<'_>, spec_json: &str) -> PyResult<Self> {
        scorer::Scorer::from_json(spec_json)
            .map(|inner| Scorer { inner })
            .map_err(|e| config_error(py, e.0))
    }

    /// Scores `text`.
    #[pyo3(signature = (text, system_prompt = None))]
    fn score(
        &self,
        py: Python<'_>,
        text: PyBackedStr,
        system_prompt: Option<PyBackedStr>,
    ) -> Score {
        let long = text.len() + system_prompt.as_ref().map_or(0, |s| s.len()) > DETACH_BYTES;
        let run = || self.inner.score(&text, system_prompt.as_deref());
        Score::from(if long { py.detach(run) } else { run() })
    }

    #[getter]
    fn n_keywords(&self) -> usize {
        self.inner.n_keywords()
    }

    #[getter]
    fn n_patterns(&self) -> usize {
        self.inner.n_patterns()
    }
}

/// The class of each character (0 word, 1 cjk, 2 space, 3 other): for parity tests.
#[pyfunction]
fn char_classes(text: &str) -> Vec<u8> {
    text.chars().map(|c| text::class(c) as u8).collect()
}

/// (first, last, class) of the code-point ranges that are not word characters
/// (`text::RANGES`): the parity tests compare them entry by entry with `_text._RANGES`.
#[pyfunction]
fn class_ranges() -> Vec<(u32, u32, u8)> {
    text::RANGES
        .iter()
        .map(|&(lo, hi, class)| (lo, hi, class as u8))
        .collect()
}

/// (code point, folded code point) of every non-ASCII character that `text::fold` changes:
/// the parity tests compare them entry by entry with `_text._FOLD`.
#[pyfunction]
fn fold_pairs() -> Vec<(u32, u32)> {
    (0x80..=char::MAX as u32)
        .filter_map(char::from_u32)
        .filter_map(|c| {
            let f = text::fold(c);
            (f != c).then_some((c as u32, f as u32))
        })
        .collect()
}

/// Estimated tokens of `text` (see `text::count_chars`).
#[pyfunction]
fn estimate_tokens(py: Python<'_>, text: PyBackedStr) -> f64 {
    let run = || text::count_chars(&text).tokens();
    if text.len() > DETACH_BYTES {
        py.detach(run)
    } else {
        run()
    }
}

/// The text signals of the structure layer (`skeleton::read`), keywords aside: (units,
/// sentences, clauses, items, quantities, years, scale, math, names, question_end,
/// request_end, code). For parity tests against `_structure.Structure.signals`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn structure_signals(
    text: &str,
) -> (
    f64,
    i64,
    i64,
    i64,
    i64,
    i64,
    bool,
    i64,
    i64,
    bool,
    bool,
    bool,
) {
    let cjk = text::count_chars(text).cjk;
    let s = crate::skeleton::read(text, cjk, &mut Vec::new());
    (
        s.units,
        s.sentences,
        s.clauses,
        s.items,
        s.quantities,
        s.years,
        s.scale,
        s.math,
        s.names,
        s.question_end,
        s.request_end,
        s.code,
    )
}

/// `text` case-folded as the scanner sees it: for parity tests and `slr test --explain`.
#[pyfunction]
fn fold(text: &str) -> String {
    let mut out = String::new();
    text::fold_into(text, &mut out);
    out
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scorer>()?;
    m.add_class::<Score>()?;
    m.add_function(wrap_pyfunction!(char_classes, m)?)?;
    m.add_function(wrap_pyfunction!(class_ranges, m)?)?;
    m.add_function(wrap_pyfunction!(fold_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(fold, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_tokens, m)?)?;
    m.add_function(wrap_pyfunction!(structure_signals, m)?)?;
    m.add("DIMENSIONS", tables::DIMENSIONS.to_vec())?;
    m.add("KEYWORD_SETS", tables::KEYWORD_SETS.to_vec())?;
    m.add("TIERS", tables::TIERS.to_vec())?;
    m.add("RULES", tables::RULES.to_vec())?;
    m.add("STRUCTURE_SETS", tables::STRUCTURE_SETS.to_vec())?;
    Ok(())
}
