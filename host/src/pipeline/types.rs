//! The scanner types a pipeline can run: every component in the types folder, loaded once.

use anyhow::Context;

use crate::config::Config;
use crate::runtime::{self, Registry, Runtime, RuntimeOptions, ScannerType};

/// The wasmtime runtime and the types loaded from the types folder.
pub struct TypeSet {
    // The registry's types were compiled by this runtime's engine, which must outlive them.
    _runtime: Runtime,
    registry: Registry,
    dir: std::path::PathBuf,
}

impl TypeSet {
    /// Loads every `.wasm` in the configured types folder (see [`runtime::types_dir`]). A file
    /// that fails to load is logged and skipped; asking for its type later names the failure.
    pub fn load(config: &Config) -> anyhow::Result<TypeSet> {
        let dir = resolve_dir(config);
        let runtime = Runtime::new(RuntimeOptions {
            cache_dir: runtime::default_cache_dir(),
            limits: Default::default(),
        })?;
        let registry = Registry::load_dir(&runtime, &dir).with_context(|| {
            format!(
                "cannot read the scanner types folder {}; build the built-in types with \
                 `make guests` or set REPLAY_VISION_TYPES_DIR",
                dir.display()
            )
        })?;
        Ok(TypeSet {
            _runtime: runtime,
            registry,
            dir,
        })
    }

    /// Returns the folder the types were loaded from.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The type with this id.
    pub fn get(&self, id: &str) -> anyhow::Result<&ScannerType> {
        if let Some(scanner_type) = self.registry.get(id) {
            return Ok(scanner_type);
        }
        let known: Vec<&str> = self
            .registry
            .types()
            .map(|loaded| loaded.scanner_type.id())
            .collect();
        let failures: Vec<String> = self
            .registry
            .failures()
            .iter()
            .map(|(path, error)| format!("{}: {error}", path.display()))
            .collect();
        let mut message = format!(
            "no scanner type {id:?} in {}; loaded: {}",
            self.dir.display(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
        if !failures.is_empty() {
            message.push_str(&format!("; failed to load: {}", failures.join("; ")));
        }
        anyhow::bail!(message)
    }

    /// Checks a scanner's type-specific config through its type. `Ok(Err(problems))` lists
    /// what is wrong, each naming the field.
    pub fn validate_config(
        &self,
        type_id: &str,
        config: &serde_json::Value,
    ) -> anyhow::Result<Result<(), Vec<String>>> {
        let scanner_type = self.get(type_id)?;
        let config = config.to_string();
        let result = off_runtime(|| scanner_type.validate_config(&config))?;
        Ok(result.value.map_err(|problems| {
            problems
                .into_iter()
                .map(|problem| match problem.field {
                    Some(field) => format!("config.{field}: {}", problem.message),
                    None => problem.message,
                })
                .collect()
        }))
    }
}

/// The configured types folder; when none is configured and `scanner-types` is missing from the
/// current directory, the folder that `make guests` fills in this checkout.
fn resolve_dir(config: &Config) -> std::path::PathBuf {
    let dir = runtime::types_dir(config.scanner_types.dir.as_deref());
    let configured =
        config.scanner_types.dir.is_some() || std::env::var_os(runtime::TYPES_DIR_ENV).is_some();
    if configured || dir.is_dir() {
        return dir;
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("scanner-types")
}

/// Runs a call into a scanner type on a thread of its own when the caller is on an async
/// runtime's thread. wasmtime-wasi drives some WASI calls (a guest writing its panic message, for
/// one) with a `block_on` that panics inside a running tokio runtime, so guest code must not run
/// on the runtime's threads. Outside a runtime the call runs in place.
pub(crate) fn off_runtime<T: Send>(call: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return call();
    }
    std::thread::scope(|scope| match scope.spawn(call).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}
