//! Per-call sandbox limits and the store state that enforces them.

use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime::ResourceLimiter;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Limits applied to every call into a scanner type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest linear memory a guest may grow to, in bytes. The default is 64 MiB.
    pub max_memory_bytes: usize,
    /// Wall-clock time one call may take, enforced by epoch interruption. The default is 2 s.
    pub deadline: Duration,
    /// Largest input passed to a call (config, session, event log, raw answer), in bytes.
    /// The default is 1 MiB.
    pub max_input_bytes: usize,
    /// Largest output a call may return, in bytes. The default is 1 MiB.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_memory_bytes: 64 << 20,
            deadline: Duration::from_secs(2),
            max_input_bytes: 1 << 20,
            max_output_bytes: 1 << 20,
        }
    }
}

/// The most table elements a guest may allocate; Rust guests use a few hundred.
const MAX_TABLE_ELEMENTS: usize = 20_000;

/// A [`ResourceLimiter`] that denies memory growth past the cap and remembers that it did,
/// so that the trap a guest raises after a failed allocation is reported as a memory limit.
pub(crate) struct MemoryCap {
    pub(crate) limit: usize,
    pub(crate) exceeded: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// The data of one call's store: an empty WASI context, the memory cap and a log budget.
pub(crate) struct CallState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) memory: MemoryCap,
    pub(crate) type_id: String,
    pub(crate) log_lines_left: u32,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
