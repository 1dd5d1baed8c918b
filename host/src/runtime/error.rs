//! The ways a scanner type can fail inside the sandbox, told apart so that the pipeline can
//! record the right failure kind and the operator can act on the message.

use std::time::Duration;

/// A failure of a scanner type component: loading it or running one call.
///
/// A type's own, expected errors (an invalid config, an answer that breaks the output rules)
/// are not `GuestError`s; they come back as the inner [`ScannerError`](super::ScannerError)
/// of a successful call.
#[derive(Debug, thiserror::Error)]
pub enum GuestError {
    /// The file could not be read.
    #[error("cannot read scanner type {origin}: {source}")]
    Io {
        origin: String,
        #[source]
        source: std::io::Error,
    },

    /// The bytes are not a valid WebAssembly component.
    #[error("{origin} is not a valid WebAssembly component: {reason}")]
    InvalidComponent { origin: String, reason: String },

    /// The component was built against a WIT version this host does not load.
    #[error(
        "{origin} was built against replay-vision:scanner@{found}, but this host supports \
         {supported}; rebuild it with a matching replay-vision-guest SDK"
    )]
    IncompatibleVersion {
        origin: String,
        found: String,
        supported: String,
    },

    /// Compiling or linking the component failed.
    #[error("cannot compile or link {origin}: {reason}")]
    Link { origin: String, reason: String },

    /// The guest trapped: a panic, an `unreachable`, an out-of-bounds access.
    #[error("scanner type {type_id}: {function} trapped: {reason}")]
    Trap {
        type_id: String,
        function: &'static str,
        reason: String,
    },

    /// The call ran past its wall-clock deadline and was interrupted.
    #[error("scanner type {type_id}: {function} did not finish within {limit:?}")]
    Deadline {
        type_id: String,
        function: &'static str,
        limit: Duration,
    },

    /// The guest tried to grow its memory past the cap.
    #[error("scanner type {type_id}: {function} exceeded the memory limit of {limit} bytes")]
    MemoryLimit {
        type_id: String,
        function: &'static str,
        limit: usize,
    },

    /// The host refused to pass an input this large.
    #[error("scanner type {type_id}: {what} has {size} bytes; the maximum is {limit}")]
    InputTooLarge {
        type_id: String,
        what: &'static str,
        size: usize,
        limit: usize,
    },

    /// The guest returned more data than the output cap allows.
    #[error("scanner type {type_id}: {function} returned more than the maximum of {limit} bytes")]
    OutputTooLarge {
        type_id: String,
        function: &'static str,
        limit: usize,
    },

    /// The guest returned something that breaks the contract, such as output that is not a
    /// JSON object.
    #[error("scanner type {type_id}: {function} returned invalid output: {reason}")]
    InvalidOutput {
        type_id: String,
        function: &'static str,
        reason: String,
    },
}

impl GuestError {
    /// A short, stable name of the kind, for logs (`error.kind`) and stored failure reasons.
    pub fn kind(&self) -> &'static str {
        match self {
            GuestError::Io { .. } => "io",
            GuestError::InvalidComponent { .. } => "invalid_component",
            GuestError::IncompatibleVersion { .. } => "incompatible_version",
            GuestError::Link { .. } => "link",
            GuestError::Trap { .. } => "trap",
            GuestError::Deadline { .. } => "deadline",
            GuestError::MemoryLimit { .. } => "memory_limit",
            GuestError::InputTooLarge { .. } => "input_too_large",
            GuestError::OutputTooLarge { .. } => "output_too_large",
            GuestError::InvalidOutput { .. } => "invalid_output",
        }
    }
}
