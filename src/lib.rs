//! flowsim: a discrete-event Monte Carlo simulator comparing push, pull and flow ways of working.
//!
//! The library is the whole product; `main.rs` only parses arguments and calls it. See
//! `ARCHITECTURE.md` for the map of modules and their invariants.
#![warn(missing_docs)]

pub mod charts;
pub mod cli;
pub mod commands;
pub mod dist;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod forecast;
pub mod guard;
pub mod interrupt;
pub mod levers;
pub mod limits;
pub mod metrics;
pub mod model;
pub mod output;
pub mod overrides;
pub mod policy;
#[cfg(feature = "python")]
pub mod python;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod serve;
pub mod shard;
pub mod stats;
pub mod validate;
