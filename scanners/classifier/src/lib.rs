//! TODO: classifier
