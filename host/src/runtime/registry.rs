//! The folder of scanner type components and the types loaded from it.
//!
//! Every `*.wasm` file in the folder is a candidate; a type is known by the id its
//! `describe` returns, not by its file name. The built-in types are files like any other
//! (`make guests` copies them in as `scanner_<id>.wasm`), so a team can replace one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::GuestError;
use super::scanner_type::ScannerType;
use super::Runtime;

/// Ids of the scanner types that ship with replay-vision.
pub const BUILTIN_TYPES: &[&str] = &["monitor", "classifier", "scorer", "summarizer", "checklist"];

/// Environment variable that overrides the types folder.
pub const TYPES_DIR_ENV: &str = "REPLAY_VISION_TYPES_DIR";

/// Resolves the types folder: `explicit` if given, else `$REPLAY_VISION_TYPES_DIR`, else
/// `scanner-types` in the current directory.
pub fn types_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
    }
    match std::env::var_os(TYPES_DIR_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from("scanner-types"),
    }
}

/// A scanner type loaded from a file.
#[derive(Debug, Clone)]
pub struct LoadedType {
    /// The file it was loaded from.
    pub path: PathBuf,
    /// The loaded type.
    pub scanner_type: ScannerType,
}

impl LoadedType {
    /// True when the id is one of [`BUILTIN_TYPES`].
    pub fn is_builtin(&self) -> bool {
        BUILTIN_TYPES.contains(&self.scanner_type.id())
    }
}

/// The scanner types of one folder, by id.
#[derive(Debug, Default)]
pub struct Registry {
    types: BTreeMap<String, LoadedType>,
    failures: Vec<(PathBuf, GuestError)>,
}

impl Registry {
    /// Loads every `*.wasm` file in `dir`, in file-name order. A file that fails to load is
    /// logged and kept in [`Registry::failures`]. When two files declare the same id, the
    /// first one wins and the second counts as a failure.
    pub fn load_dir(runtime: &Runtime, dir: &Path) -> std::io::Result<Self> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "wasm")
            })
            .collect();
        paths.sort();
        let mut registry = Self::default();
        for path in paths {
            registry.add(runtime, path);
        }
        Ok(registry)
    }

    fn add(&mut self, runtime: &Runtime, path: PathBuf) {
        let scanner_type = match runtime.load_file(&path) {
            Ok(scanner_type) => scanner_type,
            Err(error) => {
                tracing::warn!(
                    path = %path.display(),
                    error.kind = error.kind(),
                    error = %error,
                    "skipping scanner type"
                );
                self.failures.push((path, error));
                return;
            }
        };
        let id = scanner_type.id().to_owned();
        if let Some(existing) = self.types.get(&id) {
            let error = GuestError::InvalidComponent {
                origin: path.display().to_string(),
                reason: format!(
                    "type id `{id}` is already provided by {}",
                    existing.path.display()
                ),
            };
            tracing::warn!(path = %path.display(), error = %error, "skipping scanner type");
            self.failures.push((path, error));
            return;
        }
        self.types.insert(id, LoadedType { path, scanner_type });
    }

    /// Returns the type with this id.
    pub fn get(&self, id: &str) -> Option<&ScannerType> {
        self.types.get(id).map(|loaded| &loaded.scanner_type)
    }

    /// Returns all loaded types, ordered by id.
    pub fn types(&self) -> impl Iterator<Item = &LoadedType> {
        self.types.values()
    }

    /// Returns the files that could not be loaded, with the reason.
    pub fn failures(&self) -> &[(PathBuf, GuestError)] {
        &self.failures
    }
}
