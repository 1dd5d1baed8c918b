//! The sandboxed runtime for scanner types: WebAssembly components that implement the
//! `replay-vision:scanner` WIT world (the `wit/` folder of the repository).
//!
//! [`Runtime`] owns one wasmtime engine, the linker and the compile cache.
//! [`Runtime::load`] validates a component's bytes and reads the WIT version it was built
//! against, rejecting unsupported ones with [`GuestError::IncompatibleVersion`]. It then
//! compiles the component (or loads it from the on-disk cache), pre-links it and returns a
//! [`ScannerType`]. Each typed method of that handle (`describe`, `validate_config`,
//! `matches`, `steps`, `build_prompt`, `parse_output`) runs in a fresh instance under
//! [`Limits`].
//!
//! Sandbox: an empty WASI context (no files, environment, arguments, sockets or standard
//! streams; a clock fixed at the epoch; a fixed random sequence), a memory cap (64 MiB by
//! default), a wall-clock deadline by epoch interruption (2 s by default), fuel metering
//! reported per call as [`Metered::fuel`], and caps on the bytes passed in and returned
//! (1 MiB each by default). The only host function a guest can call is `log`.
//!
//! Where the types live: [`types_dir`] resolves the folder of `.wasm` files, in this order:
//! the `REPLAY_VISION_TYPES_DIR` environment variable, then `scanner-types/` in the current
//! directory. `make guests` builds every guest crate for `wasm32-wasip2` with the `guest`
//! profile and copies the five built-in types there, so running from the repository needs
//! no flags.

mod bindings;
mod cache;
mod component;
mod engine;
mod error;
mod limits;
mod registry;
mod scanner_type;
mod size;

use std::path::{Path, PathBuf};

use wasmtime::component::Linker;
use wasmtime::Engine;

pub use bindings::*;
pub use cache::{default_cache_dir, CacheOutcome};
pub use component::SUPPORTED_WIT_VERSIONS;
pub use error::GuestError;
pub use limits::Limits;
pub use registry::{types_dir, LoadedType, Registry, BUILTIN_TYPES, TYPES_DIR_ENV};
pub use scanner_type::{Metered, ScannerType};

use cache::CompileCache;
use limits::CallState;

/// Settings of a [`Runtime`].
#[derive(Debug, Clone, Default)]
pub struct RuntimeOptions {
    /// Folder for compiled components; `None` compiles every load. See [`default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Limits given to every loaded type.
    pub limits: Limits,
}

/// The engine, linker and compile cache that scanner types are loaded with.
///
/// Create one per process: the engine starts a thread that drives call deadlines.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    cache: Option<CompileCache>,
    limits: Limits,
}

impl Runtime {
    /// Builds the engine and linker and starts the epoch ticker.
    pub fn new(options: RuntimeOptions) -> anyhow::Result<Self> {
        let engine = engine::build_engine()
            .map_err(|error| anyhow::anyhow!("cannot configure wasmtime: {error:#}"))?;
        engine::start_epoch_ticker(&engine)
            .map_err(|error| anyhow::anyhow!("cannot start the epoch thread: {error}"))?;
        let linker = engine::build_linker(&engine)
            .map_err(|error| anyhow::anyhow!("cannot build the component linker: {error:#}"))?;
        Ok(Self {
            engine,
            linker,
            cache: options.cache_dir.map(CompileCache::new),
            limits: options.limits,
        })
    }

    /// Returns the limits that newly loaded types get.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Loads a component file. See [`Runtime::load`].
    pub fn load_file(&self, path: &Path) -> Result<ScannerType, GuestError> {
        let origin = path.display().to_string();
        let wasm = std::fs::read(path).map_err(|source| GuestError::Io {
            origin: origin.clone(),
            source,
        })?;
        self.load(&wasm, &origin)
            .map(|(scanner_type, _)| scanner_type)
    }

    /// Validates, version-checks, compiles (or loads from the cache) and pre-links a
    /// component, then runs its `describe` once. `origin` names it in errors and logs.
    pub fn load(
        &self,
        wasm: &[u8],
        origin: &str,
    ) -> Result<(ScannerType, CacheOutcome), GuestError> {
        component::validate(wasm, origin)?;
        let wit_version = component::wit_version(wasm, origin)?;
        component::check_version(&wit_version, origin)?;
        let link_error = |error: wasmtime::Error| GuestError::Link {
            origin: origin.to_owned(),
            reason: format!("{error:#}"),
        };
        let (compiled, outcome) = match &self.cache {
            Some(cache) => cache
                .load_or_compile(&self.engine, wasm)
                .map_err(link_error)?,
            None => (
                wasmtime::component::Component::new(&self.engine, wasm).map_err(link_error)?,
                CacheOutcome::Uncached,
            ),
        };
        let pre = self.linker.instantiate_pre(&compiled).map_err(link_error)?;
        let pre = ScannerPre::new(pre).map_err(link_error)?;
        let scanner_type =
            ScannerType::new(pre, wit_version, origin.to_owned(), self.limits.clone())?;
        tracing::info!(
            scanner_type = %scanner_type.id(),
            origin,
            wit_version = %scanner_type.wit_version(),
            cache = ?outcome,
            "scanner type loaded"
        );
        Ok((scanner_type, outcome))
    }
}
