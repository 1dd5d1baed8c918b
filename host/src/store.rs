//! The store: scanners, observations, their history, the event outbox and the store's own
//! `events` table, in SQLite (one embedded file, the default) or PostgreSQL (shared by several
//! daemons). Both run the same migrations and the same queries through sqlx's `Any` driver. The
//! queries are checked at run time, so building needs no live database.
//!
//! Concurrency rests on two rules that hold on both backends: the unique key
//! `(scanner_id, session_id)` makes one observation per pair, and every state change is a
//! compare-and-set on the row's `attempts` counter and lease owner, so two workers can never both
//! complete the same attempt.

mod observations;
pub mod outbox;
mod queue;
mod scanners;
mod sessions;
mod stats;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::AnyPool;

pub use observations::{
    Claim, ClaimRequest, Failure, Observation, ObservationFilter, ObservationState, Success,
    Trigger,
};
pub use outbox::{Delivery, OutboundEvent};
pub use queue::{TakenWork, WorkItem};
pub use scanners::StoredScanner;
pub use sessions::{Decision, SessionRecord};
pub use stats::ObservationTotals;

/// Errors of the store. Callers branch on `LostLease` (another worker owns the row now) and
/// `NotFound`; everything else is a database problem to report.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {url}: {source}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("unsupported store URL {url}; use sqlite://PATH or postgres://USER@HOST/DATABASE")]
    Unsupported { url: String },
    #[error("cannot apply the store's migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(
        "observation {id} is no longer held by this worker (its lease expired or it finished)"
    )]
    LostLease { id: String },
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("stored JSON in {column} is invalid: {source}")]
    Json {
        column: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

/// The database behind a store. A few statements differ between them (SQLite pragmas, row locks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to the store, migrated to the current schema.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Store {
    /// Opens the store at `url` (`sqlite://PATH`, `sqlite::memory:` or `postgres://...`),
    /// creating a SQLite file and its parent folder on first use, and applies the migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") || !url.contains("://") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Unsupported {
                url: redact_password(url),
            });
        };
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url),
            Backend::Postgres => url.to_string(),
        };
        let open_error = |source| StoreError::Open {
            url: redact_password(&url),
            source,
        };
        // Every connection to `:memory:` is a database of its own, so keep one.
        let max_connections = if url.contains(":memory:") { 1 } else { 8 };
        let mut options = AnyPoolOptions::new().max_connections(max_connections);
        if backend == Backend::Sqlite {
            // A busy timeout instead of an immediate SQLITE_BUSY when two processes write; WAL
            // so readers do not block the writer.
            options = options.after_connect(|connection, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    connection.execute("PRAGMA busy_timeout = 10000").await?;
                    connection.execute("PRAGMA journal_mode = WAL").await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await.map_err(open_error)?;
        MIGRATOR.run(&pool).await?;
        Ok(Store { pool, backend })
    }

    /// Returns the database behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for queries that no method here covers (tests, reports).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Adds `mode=rwc` so SQLite creates the file, and creates its folder.
fn prepare_sqlite_url(url: &str) -> String {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if rest.starts_with(":memory:") || rest.contains("mode=") {
        return format!("sqlite:{rest}");
    }
    let path = rest.split('?').next().unwrap_or(rest);
    if let Some(parent) = Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            // An error here surfaces as the connect error that follows, which names the URL.
            let _ = std::fs::create_dir_all(parent);
        }
    }
    let separator = if rest.contains('?') { '&' } else { '?' };
    format!("sqlite://{rest}{separator}mode=rwc")
}

/// Hides the password of a database URL before it goes into a message.
fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Milliseconds since the Unix epoch, the store's unit of time.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

fn parse_json(column: &'static str, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Json { column, source })
}

fn optional_json(
    row: &AnyRow,
    column: &'static str,
) -> Result<Option<serde_json::Value>, StoreError> {
    use sqlx::Row;
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| parse_json(column, &text)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_url_gets_create_mode() {
        assert_eq!(
            prepare_sqlite_url("sqlite:///tmp/x/rv.db"),
            "sqlite:///tmp/x/rv.db?mode=rwc"
        );
    }

    #[test]
    fn memory_url_is_kept() {
        assert_eq!(prepare_sqlite_url("sqlite::memory:"), "sqlite::memory:");
    }

    #[tokio::test]
    async fn unknown_scheme_is_rejected() {
        let error = Store::connect("mysql://db/rv").await.unwrap_err();
        assert!(matches!(error, StoreError::Unsupported { .. }), "{error}");
    }

    #[test]
    fn password_is_redacted() {
        let redacted = redact_password("postgres://rv:secret@127.0.0.1/rv");
        assert!(!redacted.contains("secret"), "{redacted}");
    }
}
