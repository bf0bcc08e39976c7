//! The compiled scoring configuration as it crosses from Python (JSON made by
//! the Python side's `compile_spec`), and its numeric settings checked once.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;

use crate::tables::{DIMENSIONS, D_TOKENS, TIERS};

/// A configuration error; the binding raises it as `smart_llm_router.ConfigError`.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError(pub String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

/// The compiled scoring configuration, as produced by the Python side's `compile_spec`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub weights: HashMap<String, f64>,
    pub saturation: HashMap<String, f64>,
    pub keywords: HashMap<String, Vec<String>>,
    pub boundaries: [f64; 3],
    pub token_scale: [f64; 3],
    pub confidence_steepness: f64,
    pub ambiguity_threshold: f64,
    pub ambiguous_tier: String,
    pub override_confidence: f64,
    pub reasoning_min_markers: u32,
    pub long_context_tokens: f64,
    pub word_problem_min_tokens: f64,
    pub structured_output_floor: String,
    pub hard_ask_floor: String,
    pub proof_ask_floor: String,
    pub agentic_steps_min: u32,
    pub agentic_steps_floor: String,
    /// The structural signals and rules; `None` (or absent) turns them off.
    #[serde(default)]
    pub structure: Option<StructureSpec>,
}

/// The structure part of a spec: per set (`STRUCTURE_SETS`), its keywords, each a list of
/// forms that count as that one keyword; and the thresholds of the rules (`structure`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StructureSpec {
    pub sets: HashMap<String, Vec<Vec<String>>>,
    pub definition_max_units: f64,
    pub requirements_min_items: u32,
    pub requirements_min_units: f64,
    pub requirements_min_evidence: u32,
    pub long_ask_min_units: f64,
    pub long_ask_min_evidence: u32,
    pub open_ask_min_units: f64,
    pub ordering_min_comparisons: u32,
    pub choice_min_options: u32,
    /// Comparison marks: literal text, counted by occurrence (leftmost first, in this order).
    pub comparisons: Vec<String>,
    /// Rules switched off by name.
    pub disabled: Vec<String>,
}

impl Spec {
    pub fn from_json(json: &str) -> Result<Self, SpecError> {
        serde_json::from_str(json).map_err(|e| SpecError(format!("invalid scorer spec: {e}")))
    }
}

/// Everything in a spec but the keywords, checked: finite numbers, ascending boundaries and
/// token scale, probabilities within 0..1, tiers by index into `TIERS`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Per dimension, in `DIMENSIONS` order.
    pub weights: [f64; 15],
    /// Per dimension (1 for tokenCount, which has `token_scale`).
    pub saturation: [f64; 15],
    pub boundaries: [f64; 3],
    pub token_scale: [f64; 3],
    pub steepness: f64,
    pub ambiguity_threshold: f64,
    pub ambiguous_tier: u8,
    pub override_confidence: f64,
    pub reasoning_min_markers: u32,
    pub long_context_tokens: f64,
    pub word_problem_min_tokens: f64,
    pub structured_floor: u8,
    pub hard_floor: u8,
    pub proof_floor: u8,
    pub agentic_steps_min: u32,
    pub agentic_steps_floor: u8,
}

impl Settings {
    pub fn from_spec(spec: &Spec) -> Result<Self, SpecError> {
        let (weights, saturation) = per_dimension(spec)?;
        check_curves(spec)?;
        Ok(Settings {
            weights,
            saturation,
            boundaries: spec.boundaries,
            token_scale: spec.token_scale,
            steepness: spec.confidence_steepness,
            ambiguity_threshold: spec.ambiguity_threshold,
            ambiguous_tier: tier_index(&spec.ambiguous_tier, "ambiguous_tier")?,
            override_confidence: spec.override_confidence,
            reasoning_min_markers: spec.reasoning_min_markers,
            long_context_tokens: finite(spec.long_context_tokens, "long_context_tokens")?,
            word_problem_min_tokens: finite(
                spec.word_problem_min_tokens,
                "word_problem_min_tokens",
            )?,
            structured_floor: tier_index(&spec.structured_output_floor, "structured_output_floor")?,
            hard_floor: tier_index(&spec.hard_ask_floor, "hard_ask_floor")?,
            proof_floor: tier_index(&spec.proof_ask_floor, "proof_ask_floor")?,
            agentic_steps_min: spec.agentic_steps_min,
            agentic_steps_floor: tier_index(&spec.agentic_steps_floor, "agentic_steps_floor")?,
        })
    }
}

/// (weights, saturations) in `DIMENSIONS` order; every dimension has a weight and every one
/// but tokenCount a saturation, and no other name appears.
fn per_dimension(spec: &Spec) -> Result<([f64; 15], [f64; 15]), SpecError> {
    let mut weights = [0.0; 15];
    let mut saturation = [1.0; 15];
    for (i, name) in DIMENSIONS.iter().enumerate() {
        let w = spec
            .weights
            .get(*name)
            .ok_or_else(|| SpecError(format!("weights.{name}: missing")))?;
        weights[i] = finite(*w, &format!("weights.{name}"))?;
        if i != D_TOKENS {
            let s = spec
                .saturation
                .get(*name)
                .ok_or_else(|| SpecError(format!("saturation.{name}: missing")))?;
            if !(s.is_finite() && *s > 0.0) {
                return Err(SpecError(format!(
                    "saturation.{name}: must be > 0, got {s}"
                )));
            }
            saturation[i] = *s;
        }
    }
    for key in spec.weights.keys().chain(spec.saturation.keys()) {
        if !DIMENSIONS.contains(&key.as_str()) {
            return Err(SpecError(format!("unknown dimension {key:?}")));
        }
    }
    Ok((weights, saturation))
}

/// Boundaries, token scale, confidence sigmoid and the two probabilities.
fn check_curves(spec: &Spec) -> Result<(), SpecError> {
    let b = spec.boundaries;
    if !(b.iter().all(|x| x.is_finite()) && b[0] < b[1] && b[1] < b[2]) {
        return Err(SpecError(format!(
            "boundaries: must be finite and ascending, got {b:?}"
        )));
    }
    let t = spec.token_scale;
    if !(t.iter().all(|x| x.is_finite()) && 0.0 < t[0] && t[0] < t[1] && t[1] < t[2]) {
        return Err(SpecError(format!(
            "token_scale: must be positive and ascending, got {t:?}"
        )));
    }
    if !(spec.confidence_steepness.is_finite() && spec.confidence_steepness > 0.0) {
        return Err(SpecError("confidence_steepness: must be > 0".into()));
    }
    for (key, v) in [
        ("ambiguity_threshold", spec.ambiguity_threshold),
        ("override_confidence", spec.override_confidence),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(SpecError(format!("{key}: must be within 0..1, got {v}")));
        }
    }
    Ok(())
}

fn tier_index(name: &str, key: &str) -> Result<u8, SpecError> {
    TIERS
        .iter()
        .position(|t| *t == name)
        .map(|i| i as u8)
        .ok_or_else(|| {
            SpecError(format!(
                "{key}: unknown tier {name:?} (expected one of {TIERS:?})"
            ))
        })
}

fn finite(value: f64, key: &str) -> Result<f64, SpecError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(SpecError(format!(
            "{key}: must be a finite number, got {value}"
        )))
    }
}
