//! The pipeline of one observation: eligibility, the scanner type's filters, the render, the
//! model conversation step by step with one re-prompt, citations mapped to session time, and the
//! stored result with its `$recording_observed` event.

pub mod event;
