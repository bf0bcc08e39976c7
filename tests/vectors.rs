//! The shared scorer vectors (tests/vectors/scorer_vectors.json, also read by pytest) checked
//! against the Rust core alone: `cargo test --no-default-features`.

use smart_llm_router_native::scorer::{Scorer, SpecError};

fn vectors() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/scorer_vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("read vectors"))
        .expect("parse vectors")
}

fn spec(v: &serde_json::Value) -> String {
    v["spec"].to_string()
}

#[test]
fn every_vector_matches() {
    let v = vectors();
    let Ok(scorer) = Scorer::from_json(&spec(&v)) else {
        panic!("default spec builds")
    };
    let cases = v["cases"].as_array().expect("cases");
    assert!(cases.len() >= 20);
    for case in cases {
        let prompt = case["prompt"].as_str().unwrap();
        let out = scorer.score(prompt, case["system"].as_str());
        let matched: Vec<u32> = case["matched"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(
            out.tier as u64,
            case["tier"].as_u64().unwrap(),
            "tier of {prompt:?}"
        );
        assert_eq!(out.matched, matched, "keywords of {prompt:?}");
        assert_eq!(
            out.rule as u64,
            case["rule"].as_u64().unwrap(),
            "rule of {prompt:?}"
        );
        assert_eq!(
            out.word_problem,
            case["word_problem"].as_bool().unwrap(),
            "word problem of {prompt:?}"
        );
        assert_eq!(out.ambiguous, case["ambiguous"].as_bool().unwrap());
        assert!(
            (out.score - case["score"].as_f64().unwrap()).abs() <= 1e-9,
            "score of {prompt:?}"
        );
        assert!((out.confidence - case["confidence"].as_f64().unwrap()).abs() <= 1e-9);
        assert_eq!(out.tokens, case["tokens"].as_f64().unwrap());
        let f = &case["features"];
        let features = [
            out.features.question_marks,
            out.features.choice_letters,
            out.features.numbers,
            out.features.list_items,
        ];
        for (k, value) in features.iter().enumerate() {
            assert_eq!(*value, f[k].as_u64().unwrap(), "feature {k} of {prompt:?}");
        }
    }
}

fn build_with(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Scorer, SpecError> {
    let mut v = vectors()["spec"].clone();
    edit(&mut v);
    Scorer::from_json(&v.to_string())
}

fn error_of(built: Result<Scorer, SpecError>) -> String {
    match built {
        Ok(_) => panic!("expected a SpecError"),
        Err(e) => e.0,
    }
}

#[test]
fn bad_specs_are_errors_not_panics() {
    let dup = build_with(|s| {
        s["keywords"]["technicalTerms"]
            .as_array_mut()
            .unwrap()
            .push("KUBERNETES".into())
    });
    assert!(error_of(dup).contains("listed twice"));
    let seq = build_with(|s| s["keywords"]["codePresence"] = serde_json::json!(["a ... b"]));
    assert!(error_of(seq).contains("only allowed in multiStepPatterns"));
    let short = build_with(|s| s["keywords"]["codePresence"] = serde_json::json!(["*"]));
    assert!(error_of(short).contains("shorter than 2"));
    let bounds = build_with(|s| s["boundaries"] = serde_json::json!([0.5, 0.3, 0.0]));
    assert!(error_of(bounds).contains("boundaries"));
    let weights = build_with(|s| {
        s["weights"].as_object_mut().unwrap().remove("tokenCount");
    });
    assert!(error_of(weights).contains("weights.tokenCount"));
    let tier = build_with(|s| s["ambiguous_tier"] = "HUGE".into());
    assert!(error_of(tier).contains("unknown tier"));
    assert!(Scorer::from_json("{not json").is_err());
    assert!(Scorer::from_json("[]").is_err());
}

#[test]
fn empty_keyword_sets_build_and_score() {
    let Ok(scorer) = build_with(|s| s["keywords"] = serde_json::json!({})) else {
        panic!("builds")
    };
    let out = scorer.score("prove it step by step", None);
    assert!(out.matched.is_empty());
}

#[test]
fn pathological_inputs() {
    let Ok(scorer) = Scorer::from_json(&spec(&vectors())) else {
        panic!("builds")
    };
    for text in ["", " ", "\0\0\0", "(((((", "1.\n2.\n", "a)", "(a", "?？؟"] {
        let _ = scorer.score(text, Some(text));
    }
    let big = "first ".repeat(70_000);
    assert_eq!(scorer.score(&big, None).tier, 2);
}
