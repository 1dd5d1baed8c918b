//! TODO: test support
