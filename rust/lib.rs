//! Native core of smart-llm-router: a linear-time multilingual prompt scorer.
//!
//! Everything but `binding` is plain Rust (tested with `cargo test --no-default-features`):
//! `tables` (names), `text` (classes, folding, token estimate) and `features` (signals that
//! are not keywords), shared with the Python twin; `spec` and `keywords` (a configuration
//! compiled once); `words`, `bank` and `prefix` (where keywords are found), on `bytes`
//! (padded loads, in-place compares) and `table` (hashing, the lookup table); `simd` (byte
//! masks); `skeleton` and `structure` (the structural signals and rules); `scorer` (one
//! prompt's scan, dimensions and tier). `binding` is the thin PyO3 layer that Python imports
//! as `smart_llm_router._native`.

mod bank;
mod bytes;
pub mod features;
mod keywords;
mod prefix;
pub mod scorer;
mod simd;
pub mod skeleton;
pub mod spec;
mod structure;
mod table;
pub mod tables;
pub mod text;
mod words;

#[cfg(feature = "python")]
mod binding;
