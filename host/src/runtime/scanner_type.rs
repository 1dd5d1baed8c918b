//! [`ScannerType`]: a loaded scanner type component and the typed calls the pipeline makes.
//!
//! Every call gets a fresh store and instance (from a pre-linked [`ScannerPre`]), so no state
//! survives between calls and a failed call leaves nothing behind. The limits are applied per
//! call: memory cap, epoch deadline, fuel metering, and caps on the bytes passed in and out.

use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{Store, Trap};

use super::bindings::{
    Filters, MatchDecision, ParsedOutput, Prompt, PromptInput, ScannerError, ScannerPre,
    SessionMeta, Step, TypeInfo,
};
use super::engine::{empty_wasi, log_budget, EPOCH_TICK};
use super::error::GuestError;
use super::limits::{CallState, Limits, MemoryCap};
use super::size::Size;

/// Fuel given to each call. Fuel only measures work here (the deadline bounds it); the
/// budget stays far below `u64::MAX` because wasmtime stores fuel as a signed 64-bit value.
const FUEL_BUDGET: u64 = 1 << 48;

/// The value of one call and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Metered<T> {
    /// The value the guest returned.
    pub value: T,
    /// Wasm instructions executed (fuel consumed), including instantiation.
    pub fuel: u64,
    /// Wall-clock time of the call, including instantiation.
    pub elapsed: Duration,
}

/// A loaded, validated and pre-linked scanner type.
#[derive(Clone)]
pub struct ScannerType {
    pre: ScannerPre<CallState>,
    info: TypeInfo,
    wit_version: String,
    origin: String,
    limits: Limits,
}

impl std::fmt::Debug for ScannerType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScannerType")
            .field("id", &self.info.id)
            .field("version", &self.info.version)
            .field("wit_version", &self.wit_version)
            .field("origin", &self.origin)
            .finish()
    }
}

impl ScannerType {
    /// Wraps a pre-linked component and runs `describe` once to learn its id.
    pub(crate) fn new(
        pre: ScannerPre<CallState>,
        wit_version: String,
        origin: String,
        limits: Limits,
    ) -> Result<Self, GuestError> {
        let mut scanner_type = Self {
            pre,
            info: placeholder_info(&origin),
            wit_version,
            origin,
            limits,
        };
        let info =
            scanner_type.call("describe", 0, |exports, store| exports.call_describe(store))?;
        if info.value.id.trim().is_empty() {
            return Err(GuestError::InvalidOutput {
                type_id: scanner_type.origin.clone(),
                function: "describe",
                reason: "the type id is empty".to_owned(),
            });
        }
        scanner_type.info = info.value;
        Ok(scanner_type)
    }

    /// Returns the type id, such as `monitor`.
    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// Returns the output of `describe` from when the type was loaded.
    pub fn info(&self) -> &TypeInfo {
        &self.info
    }

    /// The WIT package version the component was built against.
    pub fn wit_version(&self) -> &str {
        &self.wit_version
    }

    /// Returns the origin of the component, usually its path.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Returns the limits applied to each call.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Replaces the limits applied to each call.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Runs `describe` again (the result is also cached in [`ScannerType::info`]).
    pub fn describe(&self) -> Result<Metered<TypeInfo>, GuestError> {
        self.call("describe", 0, |exports, store| exports.call_describe(store))
    }

    /// Checks a scanner's type-specific config (JSON text); the errors name the fields.
    pub fn validate_config(
        &self,
        config: &str,
    ) -> Result<Metered<Result<(), Vec<ScannerError>>>, GuestError> {
        let input = self.check_input("config", config.len())?;
        self.call("validate-config", input, |exports, store| {
            exports.call_validate_config(store, config)
        })
    }

    /// Decides whether `filters` select the session described by `session`.
    pub fn matches(
        &self,
        filters: &Filters,
        session: &SessionMeta,
    ) -> Result<Metered<MatchDecision>, GuestError> {
        let input = self.check_input("filters and session", filters.size() + session.size())?;
        self.call("matches", input, |exports, store| {
            exports.call_matches(store, filters, session)
        })
    }

    /// Lists the model turns of one observation for `config`.
    pub fn steps(
        &self,
        config: &str,
    ) -> Result<Metered<Result<Vec<Step>, ScannerError>>, GuestError> {
        let input = self.check_input("config", config.len())?;
        self.call("steps", input, |exports, store| {
            exports.call_steps(store, config)
        })
    }

    /// Builds the prompt of one step.
    pub fn build_prompt(
        &self,
        input: &PromptInput,
    ) -> Result<Metered<Result<Prompt, ScannerError>>, GuestError> {
        let size = self.check_input("prompt input", input.size())?;
        self.call("build-prompt", size, |exports, store| {
            exports.call_build_prompt(store, input)
        })
    }

    /// Validates and normalises the model's raw answer to `step`. The answer is capped at
    /// [`Limits::max_input_bytes`] before it reaches the guest.
    pub fn parse_output(
        &self,
        config: &str,
        step: &str,
        raw_answer: &str,
    ) -> Result<Metered<Result<ParsedOutput, ScannerError>>, GuestError> {
        self.check_input("raw answer", raw_answer.len())?;
        let size = self.check_input(
            "parse-output input",
            config.len() + step.len() + raw_answer.len(),
        )?;
        let result = self.call("parse-output", size, |exports, store| {
            exports.call_parse_output(store, config, step, raw_answer)
        })?;
        if let Ok(parsed) = &result.value {
            self.check_output_object(&parsed.output)?;
        }
        Ok(result)
    }

    fn check_input(&self, what: &'static str, size: usize) -> Result<usize, GuestError> {
        if size > self.limits.max_input_bytes {
            return Err(GuestError::InputTooLarge {
                type_id: self.info.id.clone(),
                what,
                size,
                limit: self.limits.max_input_bytes,
            });
        }
        Ok(size)
    }

    fn check_output_object(&self, output: &str) -> Result<(), GuestError> {
        match serde_json::from_str::<serde_json::Value>(output) {
            Ok(serde_json::Value::Object(_)) => Ok(()),
            Ok(_) => Err(self.invalid_output("parse-output", "the output is not a JSON object")),
            Err(error) => {
                Err(self
                    .invalid_output("parse-output", &format!("the output is not JSON: {error}")))
            }
        }
    }

    fn invalid_output(&self, function: &'static str, reason: &str) -> GuestError {
        GuestError::InvalidOutput {
            type_id: self.info.id.clone(),
            function,
            reason: reason.to_owned(),
        }
    }

    /// Runs one export in a fresh store with the limits applied.
    fn call<T: Size>(
        &self,
        function: &'static str,
        input_bytes: usize,
        run: impl FnOnce(
            &super::bindings::ScannerTypeExports,
            &mut Store<CallState>,
        ) -> wasmtime::Result<T>,
    ) -> Result<Metered<T>, GuestError> {
        let started = Instant::now();
        let mut store = self.new_store();
        let outcome = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| run(instance.replay_vision_scanner_scanner_type(), &mut store));
        let fuel = FUEL_BUDGET.saturating_sub(store.get_fuel().unwrap_or(0));
        let elapsed = started.elapsed();
        let value = outcome.map_err(|error| self.classify(error, &store, function))?;
        let output_bytes = value.size();
        if output_bytes > self.limits.max_output_bytes {
            return Err(GuestError::OutputTooLarge {
                type_id: self.info.id.clone(),
                function,
                limit: self.limits.max_output_bytes,
            });
        }
        tracing::debug!(
            scanner_type = %self.info.id,
            function,
            fuel,
            input_bytes,
            output_bytes,
            elapsed_us = elapsed.as_micros() as u64,
            "guest call finished"
        );
        Ok(Metered {
            value,
            fuel,
            elapsed,
        })
    }

    fn new_store(&self) -> Store<CallState> {
        let state = CallState {
            wasi: empty_wasi(),
            table: ResourceTable::new(),
            memory: MemoryCap {
                limit: self.limits.max_memory_bytes,
                exceeded: false,
            },
            type_id: self.info.id.clone(),
            log_lines_left: log_budget(),
        };
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|state| &mut state.memory);
        store
            .set_fuel(FUEL_BUDGET)
            .expect("the engine is configured to consume fuel");
        let ticks = self
            .limits
            .deadline
            .as_nanos()
            .div_ceil(EPOCH_TICK.as_nanos()) as u64;
        store.set_epoch_deadline(ticks.max(1));
        store.epoch_deadline_trap();
        // Lifting a result from the guest counts its strings and lists against this budget,
        // so an oversized output fails before the host allocates a copy of it.
        store.set_hostcall_fuel(self.limits.max_output_bytes);
        store
    }

    fn classify(
        &self,
        error: wasmtime::Error,
        store: &Store<CallState>,
        function: &'static str,
    ) -> GuestError {
        let type_id = self.info.id.clone();
        if store.data().memory.exceeded {
            return GuestError::MemoryLimit {
                type_id,
                function,
                limit: self.limits.max_memory_bytes,
            };
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => {
                return GuestError::Deadline {
                    type_id,
                    function,
                    limit: self.limits.deadline,
                }
            }
            Some(Trap::OutOfFuel) => {
                return GuestError::Deadline {
                    type_id,
                    function,
                    limit: self.limits.deadline,
                }
            }
            _ => {}
        }
        let reason = format!("{error:#}");
        // NOTE: wasmtime 48 reports an exhausted hostcall budget only through this message;
        // its error type is private.
        if reason.contains("fuel allocated for hostcalls has been exhausted") {
            return GuestError::OutputTooLarge {
                type_id,
                function,
                limit: self.limits.max_output_bytes,
            };
        }
        tracing::warn!(
            scanner_type = %type_id,
            function,
            error.kind = "trap",
            "guest call trapped"
        );
        GuestError::Trap {
            type_id,
            function,
            reason,
        }
    }
}

fn placeholder_info(origin: &str) -> TypeInfo {
    TypeInfo {
        id: origin.to_owned(),
        version: String::new(),
        description: String::new(),
        config_schema: String::new(),
        output_fields: Vec::new(),
    }
}
