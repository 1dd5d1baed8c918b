//! TODO: monitor
