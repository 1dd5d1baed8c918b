//! Sessions found by the daemon's sources, and the sweep's decisions: which settled sessions a
//! scanner has not been decided on yet, and what each decision was.

use serde::Serialize;
use sqlx::Row;

use super::{now_ms, Store, StoreError};

/// A session a source found, with where to read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRecord {
    pub id: String,
    /// The source that found it: `directory:<path>` or `posthog`.
    pub source: String,
    /// The path of the recording file.
    pub locator: String,
    /// Changes whenever the recording does (size and modification time for a file).
    pub fingerprint: String,
    pub started_at_ms: Option<i64>,
    /// Time of the last event, Unix epoch milliseconds.
    pub last_event_at_ms: i64,
}

/// The outcome of the sweep for one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Queued for work.
    Queued,
    /// Left out by the scanner's sampling rate.
    SampledOut,
}

impl Decision {
    fn as_str(self) -> &'static str {
        match self {
            Decision::Queued => "queued",
            Decision::SampledOut => "sampled_out",
        }
    }
}

impl Store {
    /// Inserts or updates a session. When the recording at `locator` used to be another session
    /// (a file whose content-derived id changed as it grew), the old row goes.
    pub async fn upsert_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let now = now_ms();
        let mut transaction = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE locator = $1 AND id <> $2")
            .bind(&session.locator)
            .bind(&session.id)
            .execute(&mut *transaction)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id, source, locator, fingerprint, started_at_ms, \
             last_event_at_ms, discovered_at_ms, updated_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET source = excluded.source, \
             locator = excluded.locator, fingerprint = excluded.fingerprint, \
             started_at_ms = excluded.started_at_ms, \
             last_event_at_ms = excluded.last_event_at_ms, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(&session.id)
        .bind(&session.source)
        .bind(&session.locator)
        .bind(&session.fingerprint)
        .bind(session.started_at_ms)
        .bind(session.last_event_at_ms)
        .bind(now)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Returns the session with this id, if a source found it.
    pub async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, source, locator, fingerprint, started_at_ms, last_event_at_ms \
             FROM sessions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| session_from_row(&row)).transpose()
    }

    /// Returns the fingerprint stored for the recording at `locator`, if any.
    pub async fn session_fingerprint(&self, locator: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT fingerprint FROM sessions WHERE locator = $1")
            .bind(locator)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get("fingerprint")).transpose()?)
    }

    /// Settled sessions (last event at or before `settled_before_ms`) that the scanner has no
    /// decision for, oldest last event first, at most `limit`.
    pub async fn undecided_sessions(
        &self,
        scanner_id: &str,
        settled_before_ms: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id FROM sessions s WHERE s.last_event_at_ms <= $1 \
             AND NOT EXISTS (SELECT 1 FROM sweep_decisions d \
                 WHERE d.scanner_id = $2 AND d.session_id = s.id) \
             ORDER BY s.last_event_at_ms, s.id LIMIT $3",
        )
        .bind(settled_before_ms)
        .bind(scanner_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    /// Records the sweep's decisions for one scanner and queues the pairs it kept, in one
    /// transaction. A pair decided before (by another daemon, say) keeps its first decision
    /// and is not queued twice.
    pub async fn record_decisions(
        &self,
        scanner_id: &str,
        decisions: &[(String, Decision)],
    ) -> Result<usize, StoreError> {
        let now = now_ms();
        let mut queued = 0;
        let mut transaction = self.pool.begin().await?;
        for (session_id, decision) in decisions {
            let inserted = sqlx::query(
                "INSERT INTO sweep_decisions (scanner_id, session_id, decision, decided_at_ms) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (scanner_id, session_id) DO NOTHING",
            )
            .bind(scanner_id)
            .bind(session_id)
            .bind(decision.as_str())
            .bind(now)
            .execute(&mut *transaction)
            .await?;
            if inserted.rows_affected() == 1 && *decision == Decision::Queued {
                let added = super::queue::insert_work(
                    &mut transaction,
                    scanner_id,
                    session_id,
                    crate::store::Trigger::Schedule,
                    None,
                )
                .await?;
                queued += added as usize;
            }
        }
        transaction.commit().await?;
        Ok(queued)
    }

    /// Forgets the decision for a pair, so the next sweep decides it again (its scanner was
    /// paused or disabled before the work ran).
    pub async fn forget_decision(
        &self,
        scanner_id: &str,
        session_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sweep_decisions WHERE scanner_id = $1 AND session_id = $2")
            .bind(scanner_id)
            .bind(session_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Observations of a scanner started since `since_ms` that count against its budget
    /// (pending, running, succeeded), and the cost of all its observations completed since then.
    pub async fn scanner_usage_since(
        &self,
        scanner_id: &str,
        since_ms: i64,
    ) -> Result<(i64, f64), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM observations WHERE scanner_id = $1 \
             AND state IN ('pending', 'running', 'succeeded') AND created_at_ms >= $2",
        )
        .bind(scanner_id)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?;
        let count: i64 = row.try_get("n")?;
        let row = sqlx::query(
            "SELECT SUM(cost_usd) AS cost FROM observations WHERE scanner_id = $1 \
             AND completed_at_ms >= $2",
        )
        .bind(scanner_id)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?;
        let cost: Option<f64> = row.try_get("cost")?;
        Ok((count, cost.unwrap_or(0.0)))
    }

    /// Returns the cursor a source stored, if any.
    pub async fn source_cursor(&self, source: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT cursor_value FROM source_cursors WHERE source = $1")
            .bind(source)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get("cursor_value")).transpose()?)
    }

    /// Stores a source's cursor.
    pub async fn set_source_cursor(&self, source: &str, cursor: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO source_cursors (source, cursor_value, updated_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (source) DO UPDATE SET cursor_value = excluded.cursor_value, \
             updated_at_ms = excluded.updated_at_ms",
        )
        .bind(source)
        .bind(cursor)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sets or clears the reason a scanner is paused.
    pub async fn set_paused_reason(
        &self,
        scanner_id: &str,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE scanners SET paused_reason = $1, updated_at_ms = $2 WHERE id = $3")
            .bind(reason)
            .bind(now_ms())
            .bind(scanner_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn session_from_row(row: &sqlx::any::AnyRow) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        id: row.try_get("id")?,
        source: row.try_get("source")?,
        locator: row.try_get("locator")?,
        fingerprint: row.try_get("fingerprint")?,
        started_at_ms: row.try_get("started_at_ms")?,
        last_event_at_ms: row.try_get("last_event_at_ms")?,
    })
}
