//! replay-vision watches rrweb session recordings the way a person would: it renders each
//! recording to a short video with the idle parts cut, asks a vision-language model about it
//! through a scanner type compiled to WebAssembly, and stores the answer as an observation.
//!
//! The modules follow the path of one observation through the system.

pub mod api;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod pipeline;
pub mod provider;
pub mod recording;
pub mod render;
pub mod runtime;
pub mod scanner;
pub mod sink;
pub mod source;
pub mod store;
