//! TODO: test support
pub mod standin;
