//! TODO: recording
