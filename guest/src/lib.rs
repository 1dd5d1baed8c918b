//! The SDK for writing replay-vision scanner types.
//!
//! A scanner type is a WebAssembly component that implements the `replay-vision:scanner`
//! WIT world. This crate generates the bindings for that world and wraps them in the
//! [`Scanner`] trait, so that a type crate only writes its config, its prompt and its
//! output checks; [`export_scanner!`] turns the implementation into the component's exports.
//!
//! The shared logic lives here too: filter matching ([`filters`]), prompt blocks
//! ([`prompt`]), citation parsing ([`citations`]), JSON Schema builders ([`schema`]),
//! config parsing ([`config`]) and answer validation ([`answer`]). Everything is pure, so a
//! type can be tested natively with plain `cargo test` through [`testing::Harness`]; the
//! only import, `log`, is called only when the code runs inside a component.
//!
//! # Writing a scanner type
//!
//! 1. Make a library crate with `crate-type = ["cdylib", "rlib"]` that depends on this SDK,
//!    `serde` and `serde_json`.
//! 2. Define the config as a struct with `#[serde(deny_unknown_fields)]` and a `prompt`
//!    field, implement [`Scanner`] for a unit struct, and call [`export_scanner!`] on it.
//!    `scanners/checklist` is a complete example in about a hundred lines.
//! 3. Test it natively with [`testing::Harness`]: `cargo test`.
//! 4. Build the component with `cargo build --release --target wasm32-wasip2`, copy the
//!    `.wasm` into the host's types folder and try it with
//!    `replay-vision scanner-types check FILE.wasm`.

pub mod answer;
pub mod citations;
pub mod config;
pub mod filters;
pub mod prompt;
pub mod schema;
pub mod testing;

mod adapter;
mod logging;

pub use adapter::Adapter;
pub use logging::{log, Level};

/// Bindings generated from the WIT package in the repository's `wit/` folder.
pub mod bindings {
    wit_bindgen::generate!({
        world: "scanner",
        path: "../wit",
        additional_derives: [serde::Serialize, serde::Deserialize, PartialEq, Clone],
        pub_export_macro: true,
        default_bindings_module: "::replay_vision_guest::bindings",
        export_macro_name: "export_bindings",
    });
}

pub use bindings::replay_vision::scanner::types::{
    Attribute, AttributeCondition, Citation, CitedField, Combine, CountCondition, CountMetric,
    CustomEvent, ErrorKind, EventCondition, EventKind, FieldKind, FilterCondition, FilterGroup,
    Filters, LogEntry, MatchDecision, MediaResolution, MediaSettings, OutputField, ParsedOutput,
    Prompt, PromptInput, Property, PropertyCondition, PropertyOp, Range, ScannerError, Segment,
    SessionMeta, Step, StepOutput, TextOp, TimeBase, TypeInfo, UrlCondition,
};

/// The version of the WIT package this SDK was built against.
pub const WIT_VERSION: &str = "0.1.0";

/// A scanner type: a config, the steps of one observation, a prompt per step and the
/// checks that turn the model's answer into output.
///
/// Every method is a pure function of its arguments. The SDK parses the config JSON into
/// [`Scanner::Config`] before calling the methods that take it, and matches filters itself.
pub trait Scanner {
    /// The type-specific config. Deserialize it with `#[serde(deny_unknown_fields)]` so that
    /// an unknown key is reported; it must contain the `prompt` string.
    type Config: serde::de::DeserializeOwned;

    /// Describes the type: id, version, config schema and output fields.
    fn describe() -> TypeInfo;

    /// Checks what serde cannot: ranges, lengths, uniqueness. The default accepts all.
    fn check_config(_config: &Self::Config) -> Vec<ScannerError> {
        Vec::new()
    }

    /// Lists the model turns of one observation. The default is a single `answer` step.
    fn steps(_config: &Self::Config) -> Vec<Step> {
        vec![Step {
            id: "answer".to_owned(),
            description: "Answer the scanner's question.".to_owned(),
            required: true,
        }]
    }

    /// Builds the prompt of one step.
    fn build_prompt(config: &Self::Config, input: &PromptInput) -> Result<Prompt, ScannerError>;

    /// Validates and normalises the model's raw answer to one step.
    fn parse_output(
        config: &Self::Config,
        step: &str,
        raw_answer: &str,
    ) -> Result<ParsedOutput, ScannerError>;
}

/// Exports a [`Scanner`] implementation as the component's `scanner-type` interface.
///
/// The exports exist only when building for WebAssembly: a native build (the `rlib` that
/// `cargo test` links) would try to export symbols whose names no native linker accepts.
///
/// ```ignore
/// struct Monitor;
/// impl replay_vision_guest::Scanner for Monitor { /* ... */ }
/// replay_vision_guest::export_scanner!(Monitor);
/// ```
#[macro_export]
macro_rules! export_scanner {
    ($scanner:ty) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            type __ReplayVisionExport = $crate::Adapter<$scanner>;
            $crate::bindings::export_bindings!(__ReplayVisionExport);
        };
    };
}

impl OutputField {
    /// Describes one output field.
    pub fn new(name: &str, kind: FieldKind, description: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            description: description.to_owned(),
        }
    }
}

impl ScannerError {
    /// Reports an invalid config key; `field` is its JSON path.
    pub fn config(field: &str, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::InvalidConfig,
            field: Some(field.to_owned()),
            message: message.into(),
            reprompt: false,
        }
    }

    /// Reports an input the host should not have sent, such as an unknown step.
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::InvalidInput,
            field: None,
            message: message.into(),
            reprompt: false,
        }
    }

    /// Reports a model answer that breaks the output rules. A second model turn that
    /// quotes `message` may fix it.
    pub fn answer(field: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::InvalidAnswer,
            field: field.map(str::to_owned),
            message: message.into(),
            reprompt: true,
        }
    }
}
