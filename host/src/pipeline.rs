//! TODO: pipeline
