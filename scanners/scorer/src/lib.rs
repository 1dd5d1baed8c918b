//! TODO: scorer
