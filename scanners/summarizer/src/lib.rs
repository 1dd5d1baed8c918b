//! TODO: summarizer
