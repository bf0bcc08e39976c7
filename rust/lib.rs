//! Native core of smart-llm-router: a linear-time multilingual prompt scorer.
//!
//! `text` and `scorer` are plain Rust (tested with `cargo test --no-default-features`);
//! `binding` is the thin PyO3 layer that Python imports as `smart_llm_router._native`.

pub mod scorer;
mod simd;
pub mod text;
mod words;

#[cfg(feature = "python")]
mod binding;
