//! The one wasmtime [`Engine`] configuration every component is compiled and run with, the
//! epoch ticker that drives call deadlines, and the linker with the guest's imports.
//!
//! Keeping the configuration in one place matters for the compile cache: a compiled
//! component is only valid for the engine settings it was compiled with.

use std::time::Duration;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, OptLevel};
use wasmtime_wasi::{Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder};

use super::bindings::{self, LogLevel};
use super::limits::CallState;

/// Time between two epoch ticks; deadlines are rounded up to whole ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The most log lines one call may send; later lines are dropped with one warning.
const MAX_LOG_LINES_PER_CALL: u32 = 100;

/// The most characters of one log line that reach the host's log.
const MAX_LOG_LINE_CHARS: usize = 1_000;

/// Builds the engine: component model on, epoch interruption for deadlines, fuel metering
/// for instruction counts.
pub(crate) fn build_engine() -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.consume_fuel(true);
    config.cranelift_opt_level(OptLevel::Speed);
    Engine::new(&config)
}

/// Starts a thread that advances the engine's epoch every [`EPOCH_TICK`]. The thread holds
/// only a weak reference and stops once the engine is dropped.
pub(crate) fn start_epoch_ticker(engine: &Engine) -> std::io::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("replay-vision-epoch".to_owned())
        .spawn(move || loop {
            std::thread::sleep(EPOCH_TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        })?;
    Ok(())
}

/// Builds the linker: the WASI interfaces a `wasm32-wasip2` std build imports, and `log`.
pub(crate) fn build_linker(engine: &Engine) -> wasmtime::Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    bindings::Scanner::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |state| state)?;
    Ok(linker)
}

/// A WASI context that grants nothing: no files, environment, arguments or sockets, no
/// standard streams, a clock fixed at the Unix epoch and a fixed random sequence, so that
/// the same inputs give the same outputs.
pub(crate) fn empty_wasi() -> WasiCtx {
    WasiCtxBuilder::new()
        .wall_clock(FixedClock)
        .monotonic_clock(FixedClock)
        .secure_random(Deterministic::new(vec![0x2a, 0x17, 0x5c, 0x93]))
        .insecure_random(Deterministic::new(vec![0x61, 0x0d, 0xe4, 0x38]))
        .insecure_random_seed(0x5eed)
        .build()
}

/// A clock that never moves.
struct FixedClock;

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}

impl bindings::replay_vision::scanner::types::Host for CallState {}

impl bindings::replay_vision::scanner::log::Host for CallState {
    fn log(&mut self, level: LogLevel, message: String) {
        if self.log_lines_left == 0 {
            return;
        }
        self.log_lines_left -= 1;
        if self.log_lines_left == 0 {
            tracing::warn!(
                scanner_type = %self.type_id,
                "guest log limit reached; dropping later lines"
            );
            return;
        }
        let message: String = message.chars().take(MAX_LOG_LINE_CHARS).collect();
        let type_id = &self.type_id;
        match level {
            LogLevel::Trace => tracing::trace!(scanner_type = %type_id, "{message}"),
            LogLevel::Debug => tracing::debug!(scanner_type = %type_id, "{message}"),
            LogLevel::Info => tracing::info!(scanner_type = %type_id, "{message}"),
            LogLevel::Warn => tracing::warn!(scanner_type = %type_id, "{message}"),
            LogLevel::Error => tracing::error!(scanner_type = %type_id, "{message}"),
        }
    }
}

/// The log budget of a new call.
pub(crate) fn log_budget() -> u32 {
    MAX_LOG_LINES_PER_CALL + 1
}
