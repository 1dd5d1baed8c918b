//! The on-disk cache of compiled components.
//!
//! An entry's file name is `<sha256 of the wasm>-<engine hash>.cwasm`. The engine hash covers
//! the wasmtime version and every engine setting that affects compiled code (wasmtime's
//! `precompile_compatibility_hash`), so a change of either misses the cache instead of
//! loading incompatible code. Entries are written to a temporary file and renamed, so a
//! reader never sees half an entry.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Whether a load found a compiled entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from the cache.
    Hit,
    /// Compiled, and written to the cache.
    Compiled,
    /// Compiled; there is no cache.
    Uncached,
}

/// A directory of compiled components.
#[derive(Debug, Clone)]
pub(crate) struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn entry_path(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let wasm_hash = hex::encode(Sha256::digest(wasm));
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        self.dir
            .join(format!("{wasm_hash}-{:016x}.cwasm", hasher.finish()))
    }

    /// Loads the compiled component for `wasm`, compiling and storing it on a miss. A
    /// cache entry that fails to load is replaced; a cache that cannot be written is
    /// logged and skipped, because compiling still works without it.
    pub(crate) fn load_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let path = self.entry_path(engine, wasm);
        if path.exists() {
            // SAFETY: deserialising runs native code from the file, so the cache directory
            // must be as trusted as the binary itself. This module writes entries only with
            // `Component::serialize`, and the engine hash in the name keeps an entry from
            // reaching an incompatible engine. wasmtime also checks the header on load.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(error) => tracing::warn!(
                    path = %path.display(),
                    error = %error,
                    "cannot load cached component; compiling again"
                ),
            }
        }
        let component = Component::new(engine, wasm)?;
        match store(&path, &component) {
            Ok(()) => Ok((component, CacheOutcome::Compiled)),
            Err(error) => {
                tracing::warn!(
                    path = %path.display(),
                    error = %error,
                    "cannot write compile cache"
                );
                Ok((component, CacheOutcome::Uncached))
            }
        }
    }
}

fn store(path: &Path, component: &Component) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .expect("cache entries live in the cache directory");
    std::fs::create_dir_all(dir)?;
    let bytes = component
        .serialize()
        .map_err(|error| anyhow::anyhow!("{error:#}"))?;
    let temporary = tempfile::NamedTempFile::new_in(dir)?;
    std::fs::write(temporary.path(), bytes)?;
    temporary.persist(path)?;
    Ok(())
}

/// Returns the default cache directory: `$REPLAY_VISION_CACHE_DIR/components`, else
/// `$XDG_CACHE_HOME/replay-vision/components`, else `~/.cache/replay-vision/components`.
/// Returns `None` when none of these variables is set.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("REPLAY_VISION_CACHE_DIR") {
        return Some(PathBuf::from(dir).join("components"));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("replay-vision").join("components"))
}
