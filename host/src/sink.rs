//! TODO: sink
