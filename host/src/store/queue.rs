//! The work queue: (scanner, session) pairs waiting to run. A worker *takes* every available row
//! of one session at once, under a lease, so one render serves all of that session's scanners.
//! It renews the lease while it works (a heartbeat), deletes each row when its observation is
//! stored, and gives rows back on a graceful shutdown. A row whose taker died becomes available
//! again when the lease expires; the observation's own lease then decides between a fresh
//! attempt and `orphaned`.
//!
//! PostgreSQL picks the session with `FOR UPDATE SKIP LOCKED`, so daemons sharing the database
//! do not queue behind each other's locks. SQLite has one writer at a time, and the take is a
//! compare-and-set on the lease columns on both backends, so a row is never held by two workers.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::{now_ms, Backend, Store, StoreError, Trigger};

/// One queued pair, as taken by a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem {
    pub scanner_id: String,
    pub session_id: String,
    pub trigger: Trigger,
    pub triggered_by_user_id: Option<String>,
    /// How many times a worker has taken this row, this take included.
    pub takes: i64,
}

/// The rows of one session a worker holds.
#[derive(Debug, Clone)]
pub struct TakenWork {
    pub session_id: String,
    pub items: Vec<WorkItem>,
}

/// Inserts a queue row unless the pair is queued already; returns whether it was added.
pub(super) async fn insert_work(
    transaction: &mut Transaction<'_, Any>,
    scanner_id: &str,
    session_id: &str,
    trigger: Trigger,
    user_id: Option<&str>,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO work_queue (scanner_id, session_id, triggered_by, triggered_by_user_id, \
         enqueued_at_ms) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (scanner_id, session_id) DO NOTHING",
    )
    .bind(scanner_id)
    .bind(session_id)
    .bind(trigger.as_str())
    .bind(user_id)
    .bind(now_ms())
    .execute(&mut **transaction)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

impl Store {
    /// Queues one pair on demand; returns whether it was added (false: already queued).
    pub async fn enqueue_work(
        &self,
        scanner_id: &str,
        session_id: &str,
        trigger: Trigger,
        user_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut transaction = self.pool.begin().await?;
        let added = insert_work(&mut transaction, scanner_id, session_id, trigger, user_id).await?;
        transaction.commit().await?;
        Ok(added)
    }

    /// Takes every available row of the session queued longest ago, for `lease_ms`. Returns
    /// `None` when nothing is available.
    pub async fn take_work(
        &self,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Option<TakenWork>, StoreError> {
        // A lost race (another worker took the rows between the pick and the update) picks again.
        for _ in 0..4 {
            let taken = match self.backend {
                // The row lock keeps other daemons off the picked row until the update commits.
                Backend::Postgres => {
                    let mut transaction = self.pool.begin().await?;
                    let taken =
                        pick_and_take(&mut transaction, " FOR UPDATE SKIP LOCKED", owner, lease_ms)
                            .await?;
                    transaction.commit().await?;
                    taken
                }
                // SQLite fails a read transaction that turns into a write with SQLITE_BUSY at
                // once, without waiting. Outside a transaction each statement waits for the
                // lock, and the update's WHERE clause is the compare-and-set.
                Backend::Sqlite => {
                    let mut connection = self.pool.acquire().await?;
                    pick_and_take(&mut connection, "", owner, lease_ms).await?
                }
            };
            match taken {
                Take::Empty => return Ok(None),
                Take::Lost => continue,
                Take::Taken(work) => return Ok(Some(work)),
            }
        }
        Ok(None)
    }

    /// Extends the leases `owner` holds on a session: its queue rows and its running
    /// observations (a heartbeat). Returns how many queue rows are still held.
    pub async fn renew_session_leases(
        &self,
        session_id: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<u64, StoreError> {
        let until = now_ms() + lease_ms;
        let queue = sqlx::query(
            "UPDATE work_queue SET taken_until_ms = $1 WHERE session_id = $2 AND taken_by = $3",
        )
        .bind(until)
        .bind(session_id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "UPDATE observations SET lease_expires_at_ms = $1 \
             WHERE session_id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(until)
        .bind(session_id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(queue.rows_affected())
    }

    /// Deletes a finished row held by `owner`.
    pub async fn finish_work(
        &self,
        scanner_id: &str,
        session_id: &str,
        owner: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM work_queue WHERE scanner_id = $1 AND session_id = $2 AND taken_by = $3",
        )
        .bind(scanner_id)
        .bind(session_id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Makes a row held by `owner` available again, without counting the take.
    pub async fn return_work(
        &self,
        scanner_id: &str,
        session_id: &str,
        owner: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE work_queue SET taken_by = NULL, taken_until_ms = NULL, takes = takes - 1 \
             WHERE scanner_id = $1 AND session_id = $2 AND taken_by = $3",
        )
        .bind(scanner_id)
        .bind(session_id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives back all work leased to `owner` (a graceful shutdown): its queue rows become
    /// available and its running observations return to `pending` with the attempt uncounted.
    /// Returns the number of observations released.
    pub async fn release_owned(&self, owner: &str) -> Result<u64, StoreError> {
        sqlx::query(
            "UPDATE work_queue SET taken_by = NULL, taken_until_ms = NULL, takes = takes - 1 \
             WHERE taken_by = $1",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?;
        let released = sqlx::query(
            "UPDATE observations SET state = 'pending', lease_owner = NULL, \
             lease_expires_at_ms = NULL, attempts = attempts - 1 \
             WHERE lease_owner = $1 AND state = 'running'",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(released.rows_affected())
    }

    /// Queues again the observations whose worker vanished: `pending` ones (given back by a
    /// shutdown) and `running` ones whose lease expired before `now`, unless they are queued.
    /// Returns how many were queued.
    pub async fn requeue_abandoned(&self, now: i64) -> Result<usize, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO work_queue (scanner_id, session_id, triggered_by, \
             triggered_by_user_id, enqueued_at_ms) \
             SELECT o.scanner_id, o.session_id, o.triggered_by, o.triggered_by_user_id, $1 \
             FROM observations o \
             WHERE (o.state = 'pending' OR (o.state = 'running' AND o.lease_expires_at_ms < $2)) \
             AND NOT EXISTS (SELECT 1 FROM work_queue q \
                 WHERE q.scanner_id = o.scanner_id AND q.session_id = o.session_id) \
             ON CONFLICT (scanner_id, session_id) DO NOTHING",
        )
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(inserted.rows_affected() as usize)
    }

    /// Rows in the queue, and how many of them are taken.
    pub async fn queue_depth(&self) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, \
             COALESCE(SUM(CASE WHEN taken_until_ms >= $1 THEN 1 ELSE 0 END), 0) AS taken \
             FROM work_queue",
        )
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("total")?, row.try_get("taken")?))
    }
}

/// The result of one pick.
enum Take {
    Empty,
    Lost,
    Taken(TakenWork),
}

/// Picks the session queued longest ago and takes its available rows.
async fn pick_and_take(
    connection: &mut AnyConnection,
    lock: &str,
    owner: &str,
    lease_ms: i64,
) -> Result<Take, StoreError> {
    let now = now_ms();
    let pick = format!(
        "SELECT session_id FROM work_queue \
         WHERE taken_until_ms IS NULL OR taken_until_ms < $1 \
         ORDER BY enqueued_at_ms, session_id, scanner_id LIMIT 1{lock}"
    );
    let Some(row) = sqlx::query(&pick)
        .bind(now)
        .fetch_optional(&mut *connection)
        .await?
    else {
        return Ok(Take::Empty);
    };
    let session_id: String = row.try_get("session_id")?;
    // The inner select skips rows another daemon locked, so two takers of one session split
    // its rows between them instead of waiting on each other's locks (which deadlocks).
    let take = format!(
        "UPDATE work_queue SET taken_by = $1, taken_until_ms = $2, takes = takes + 1 \
         WHERE (scanner_id, session_id) IN (SELECT scanner_id, session_id FROM work_queue \
             WHERE session_id = $3 AND (taken_until_ms IS NULL OR taken_until_ms < $4){lock}) \
         RETURNING scanner_id, session_id, triggered_by, triggered_by_user_id, takes"
    );
    let rows = sqlx::query(&take)
        .bind(owner)
        .bind(now + lease_ms)
        .bind(&session_id)
        .bind(now)
        .fetch_all(&mut *connection)
        .await?;
    if rows.is_empty() {
        return Ok(Take::Lost);
    }
    let mut items = rows
        .iter()
        .map(item_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    items.sort_by(|a, b| a.scanner_id.cmp(&b.scanner_id));
    Ok(Take::Taken(TakenWork { session_id, items }))
}

fn item_from_row(row: &AnyRow) -> Result<WorkItem, StoreError> {
    let trigger: String = row.try_get("triggered_by")?;
    Ok(WorkItem {
        scanner_id: row.try_get("scanner_id")?,
        session_id: row.try_get("session_id")?,
        trigger: if trigger == "on_demand" {
            Trigger::OnDemand
        } else {
            Trigger::Schedule
        },
        triggered_by_user_id: row.try_get("triggered_by_user_id")?,
        takes: row.try_get("takes")?,
    })
}
