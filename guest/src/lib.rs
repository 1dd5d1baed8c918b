//! TODO: guest SDK
