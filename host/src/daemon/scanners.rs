//! Scanners as the daemon reads them: loaded from the scanners directory into the store at
//! start (origin `file:<path>`, read-only through the API), and read back from the store, where
//! the API can also create scanners of its own (origin `api`).

use std::path::Path;

use anyhow::Context;

use crate::pipeline::TypeSet;
use crate::scanner::{self, ScannerDefinition};
use crate::store::{Store, StoredScanner};

/// Returns whether a stored scanner came from a file and so cannot change through the API.
pub fn is_file_scanner(scanner: &StoredScanner) -> bool {
    scanner.origin.starts_with("file:")
}

/// Parses the definition of a stored scanner, without the `fingerprint` key the store adds.
pub fn definition(scanner: &StoredScanner) -> anyhow::Result<ScannerDefinition> {
    let mut json = scanner.definition.clone();
    if let Some(object) = json.as_object_mut() {
        object.remove("fingerprint");
    }
    serde_json::from_value(json)
        .with_context(|| format!("stored scanner {} has an invalid definition", scanner.id))
}

/// Loads every `.toml` file of `dir` into the store, after checking its config with its type.
/// Returns the number loaded; an invalid file stops the start with an error naming it.
pub async fn load_directory(store: &Store, types: &TypeSet, dir: &Path) -> anyhow::Result<usize> {
    let files = scanner::scanner_files(dir);
    for path in &files {
        let definition = ScannerDefinition::from_file(path)?;
        if let Err(problems) =
            types.validate_config(&definition.scanner_type, &definition.config)?
        {
            anyhow::bail!(
                "scanner file {} has an invalid config: {}",
                path.display(),
                problems.join("; ")
            );
        }
        let origin = format!("file:{}", path.display());
        let version = store.register_scanner(&definition, &origin).await?;
        tracing::info!(scanner_id = %definition.id(), version, path = %path.display(), "scanner loaded");
    }
    Ok(files.len())
}
