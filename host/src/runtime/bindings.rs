//! Host-side types generated from the `replay-vision:scanner` WIT package.
//!
//! These mirror the WIT records one to one and are the pipeline's input and output types:
//!
//! - [`SessionMeta`]: facts about one session that filters and prompts use (id, start time,
//!   duration, active seconds, URLs visited, counts of clicks, rage clicks, dead clicks,
//!   console errors, failed requests and navigations, device, browser, os, country when
//!   known, custom events with their properties).
//! - [`LogEntry`]: one line of the event log, timed in session milliseconds (`REC_T`).
//! - [`Filters`]: a scanner's filters, groups of conditions joined by `all` or `any`.
//! - [`PromptInput`] and [`Prompt`]: what `build-prompt` takes and returns (system text,
//!   user text, the answer's JSON Schema, media settings).
//! - [`ParsedOutput`]: the validated output JSON plus citation segments per text field; a
//!   citation's [`TimeBase`] says whether it is session time or video time.
//! - [`ScannerError`]: a type's own error, with `reprompt` telling whether a second model
//!   turn may fix the answer.
//!
//! Every type derives `Serialize` and `Deserialize` (field names in snake_case), so the
//! pipeline can store prompts and snapshots as JSON.

wasmtime::component::bindgen!({
    world: "scanner",
    path: "../wit",
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq, Clone],
});

pub use self::exports::replay_vision::scanner::scanner_type::Guest as ScannerTypeExports;
pub use self::replay_vision::scanner::log::Level as LogLevel;
pub use self::replay_vision::scanner::types::{
    Attribute, AttributeCondition, Citation, CitedField, Combine, CountCondition, CountMetric,
    CustomEvent, ErrorKind, EventCondition, EventKind, FieldKind, FilterCondition, FilterGroup,
    Filters, LogEntry, MatchDecision, MediaResolution, MediaSettings, OutputField, ParsedOutput,
    Prompt, PromptInput, Property, PropertyCondition, PropertyOp, Range, ScannerError, Segment,
    SessionMeta, Step, StepOutput, TextOp, TimeBase, TypeInfo, UrlCondition,
};

/// The WIT package version this host's bindings were generated from.
pub const WIT_VERSION: &str = "0.1.0";

impl Filters {
    /// Filters that select every session.
    pub fn none() -> Self {
        Self {
            combine: Combine::All,
            groups: Vec::new(),
        }
    }
}
