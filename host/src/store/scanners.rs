//! Scanners as the store keeps them: the definition as JSON, its version and origin.

use serde::Serialize;
use sqlx::Row;

use super::{now_ms, parse_json, Store, StoreError};

/// A scanner row.
#[derive(Debug, Clone, Serialize)]
pub struct StoredScanner {
    pub id: String,
    pub name: String,
    pub version: i64,
    pub definition: serde_json::Value,
    /// `file` when loaded from a scanners directory, `api` when created through the API.
    pub origin: String,
    pub paused_reason: Option<String>,
}

impl Store {
    /// Inserts or replaces a scanner, keeping its creation time.
    pub async fn upsert_scanner(&self, scanner: &StoredScanner) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO scanners (id, name, version, definition, origin, paused_reason, \
             created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version, \
             definition = excluded.definition, origin = excluded.origin, \
             paused_reason = excluded.paused_reason, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(&scanner.id)
        .bind(&scanner.name)
        .bind(scanner.version)
        .bind(scanner.definition.to_string())
        .bind(&scanner.origin)
        .bind(&scanner.paused_reason)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a scanner read from a file and returns the version to run it as: the file's own
    /// `version` when it sets one; otherwise 1 for a new scanner, the stored version when the
    /// result-affecting fields are unchanged, and the stored version plus one when they changed.
    pub async fn register_scanner(
        &self,
        definition: &crate::scanner::ScannerDefinition,
        origin: &str,
    ) -> Result<i64, StoreError> {
        let fingerprint = definition.fingerprint();
        let stored = self.scanner(&definition.id()).await?;
        let stored_fingerprint = stored
            .as_ref()
            .and_then(|scanner| scanner.definition.get("fingerprint"))
            .and_then(|value| value.as_str())
            .map(str::to_string);
        let version = match (definition.version, &stored) {
            (Some(version), _) => version,
            (None, None) => 1,
            (None, Some(stored)) if stored_fingerprint.as_deref() == Some(fingerprint.as_str()) => {
                stored.version
            }
            (None, Some(stored)) => stored.version + 1,
        };
        let mut json = definition.to_json();
        json["fingerprint"] = fingerprint.into();
        self.upsert_scanner(&StoredScanner {
            id: definition.id(),
            name: definition.name.clone(),
            version,
            definition: json,
            origin: origin.to_string(),
            paused_reason: stored.and_then(|scanner| scanner.paused_reason),
        })
        .await?;
        Ok(version)
    }

    /// Returns the scanner with this id, if stored.
    pub async fn scanner(&self, id: &str) -> Result<Option<StoredScanner>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, version, definition, origin, paused_reason FROM scanners \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| scanner_from_row(&row)).transpose()
    }

    /// Returns every stored scanner, by name.
    pub async fn scanners(&self) -> Result<Vec<StoredScanner>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, version, definition, origin, paused_reason FROM scanners \
             ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(scanner_from_row).collect()
    }
}

fn scanner_from_row(row: &sqlx::any::AnyRow) -> Result<StoredScanner, StoreError> {
    let definition: String = row.try_get("definition")?;
    Ok(StoredScanner {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        definition: parse_json("scanners.definition", &definition)?,
        origin: row.try_get("origin")?,
        paused_reason: row.try_get("paused_reason")?,
    })
}
