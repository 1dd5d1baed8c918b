//! Observations: one scanner applied to one session, with its state machine
//! `pending -> running -> succeeded | failed | ineligible`.
//!
//! A worker *claims* an observation before working on it, which creates the row on first sight
//! and takes a lease on it; it then *completes* it with a result, a failure or an ineligible
//! kind. `succeeded` and `ineligible` are final unless a rerun is forced; `failed` is claimed
//! again on the next try with its attempt count kept. Earlier results go to
//! `observation_history` whenever a row is claimed again.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{now_ms, optional_json, OutboundEvent, Store, StoreError};

/// The state of an observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservationState {
    Pending,
    Running,
    Succeeded,
    Failed,
    Ineligible,
}

impl ObservationState {
    /// Returns the name stored in the database and shown to people.
    pub fn as_str(self) -> &'static str {
        match self {
            ObservationState::Pending => "pending",
            ObservationState::Running => "running",
            ObservationState::Succeeded => "succeeded",
            ObservationState::Failed => "failed",
            ObservationState::Ineligible => "ineligible",
        }
    }

    /// Parses a stored or typed state name.
    pub fn parse(text: &str) -> Option<ObservationState> {
        [
            ObservationState::Pending,
            ObservationState::Running,
            ObservationState::Succeeded,
            ObservationState::Failed,
            ObservationState::Ineligible,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }

    /// Returns whether no further work happens without a forced rerun.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ObservationState::Succeeded | ObservationState::Ineligible
        )
    }
}

/// The cause of an observation's run, sent as `triggered_by` in `$recording_observed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Schedule,
    OnDemand,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::OnDemand => "on_demand",
        }
    }
}

/// One stored observation.
#[derive(Debug, Clone, Serialize)]
pub struct Observation {
    pub id: String,
    pub scanner_id: String,
    pub session_id: String,
    pub state: ObservationState,
    pub scanner_version: i64,
    /// The scanner definition as it was when this observation last ran.
    pub scanner_snapshot: serde_json::Value,
    pub triggered_by: String,
    pub triggered_by_user_id: Option<String>,
    pub attempts: i64,
    pub output: Option<serde_json::Value>,
    pub segments: Option<serde_json::Value>,
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_usd: Option<f64>,
    pub timings: Option<serde_json::Value>,
    pub session_started_at_ms: Option<i64>,
    pub created_at_ms: i64,
    pub started_at_ms: Option<i64>,
    pub completed_at_ms: Option<i64>,
    pub lease_owner: Option<String>,
    pub lease_expires_at_ms: Option<i64>,
    pub lease_expiries: i64,
}

/// The scanner and session a worker wants to work on.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    pub scanner_id: String,
    pub session_id: String,
    pub scanner_version: i64,
    pub scanner_snapshot: serde_json::Value,
    pub trigger: Trigger,
    pub triggered_by_user_id: Option<String>,
    pub session_started_at_ms: Option<i64>,
    /// The worker's name, stored as the lease owner.
    pub owner: String,
    /// How long the lease lasts before another worker may take the work over, in milliseconds.
    pub lease_ms: i64,
    /// Replace a final result (after a scanner edit, say); the old one goes to the history.
    pub rerun: bool,
    /// After this many expired leases the observation ends `failed` with kind `orphaned`.
    pub max_lease_expiries: i64,
}

/// The outcome of a claim.
#[derive(Debug, Clone)]
pub enum Claim {
    /// The caller holds the lease and must complete or release the observation.
    Claimed(Observation),
    /// The observation is final (or ended `orphaned` just now); nothing to do.
    Final(Observation),
    /// Another worker holds an unexpired lease.
    Busy(Observation),
}

/// The result of a succeeded observation.
#[derive(Debug, Clone, Default)]
pub struct Success {
    pub output: serde_json::Value,
    pub segments: serde_json::Value,
    pub provider: String,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_usd: f64,
    pub timings: serde_json::Value,
}

/// A failure or an ineligible kind with its message, plus whatever cost was already spent.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    pub kind: String,
    pub message: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_usd: f64,
    pub timings: serde_json::Value,
}

/// The conditions of `list_observations`, which returns observations newest first.
#[derive(Debug, Clone, Default)]
pub struct ObservationFilter {
    pub scanner_id: Option<String>,
    pub session_id: Option<String>,
    pub state: Option<ObservationState>,
    pub limit: Option<i64>,
}

const COLUMNS: &str = "id, scanner_id, session_id, state, scanner_version, scanner_snapshot, \
    triggered_by, triggered_by_user_id, attempts, output, segments, error_kind, error_message, \
    provider, model, input_tokens, output_tokens, cost_usd, timings, session_started_at_ms, \
    created_at_ms, started_at_ms, completed_at_ms, lease_owner, lease_expires_at_ms, \
    lease_expiries";

impl Store {
    /// Creates the observation on first sight and takes a lease on it when there is work to do.
    pub async fn claim(&self, request: &ClaimRequest) -> Result<Claim, StoreError> {
        let snapshot = request.scanner_snapshot.to_string();
        sqlx::query(
            "INSERT INTO observations (id, scanner_id, session_id, state, scanner_version, \
             scanner_snapshot, triggered_by, triggered_by_user_id, session_started_at_ms, \
             created_at_ms) VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (scanner_id, session_id) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&request.scanner_id)
        .bind(&request.session_id)
        .bind(request.scanner_version)
        .bind(&snapshot)
        .bind(request.trigger.as_str())
        .bind(&request.triggered_by_user_id)
        .bind(request.session_started_at_ms)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;

        // Another worker can change the row between the read and the write. The write is a
        // compare-and-set, so a lost race means reading again and deciding again.
        for _ in 0..8 {
            let current = self
                .find_observation(&request.scanner_id, &request.session_id)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    what: "observation for scanner",
                    id: format!("{} and session {}", request.scanner_id, request.session_id),
                })?;
            if let Some(claim) = self.try_claim(&current, request, &snapshot).await? {
                return Ok(claim);
            }
        }
        Err(StoreError::Database(sqlx::Error::Protocol(
            "claim kept losing races with other workers".into(),
        )))
    }

    /// Decides what a claim of `current` means, and applies it; `None` when the row changed.
    async fn try_claim(
        &self,
        current: &Observation,
        request: &ClaimRequest,
        snapshot: &str,
    ) -> Result<Option<Claim>, StoreError> {
        let now = now_ms();
        let lease_live = current
            .lease_expires_at_ms
            .is_some_and(|expiry| expiry > now);
        let mut expiries = current.lease_expiries;
        match current.state {
            state if state.is_final() && !request.rerun => {
                return Ok(Some(Claim::Final(current.clone())));
            }
            ObservationState::Running if lease_live => {
                return Ok(Some(Claim::Busy(current.clone())));
            }
            ObservationState::Running => {
                expiries += 1;
                if expiries >= request.max_lease_expiries {
                    return self.orphan(current, expiries).await;
                }
            }
            _ => {}
        }
        if current.attempts > 0 && current.state != ObservationState::Running {
            self.archive(current).await?;
        }
        let updated = sqlx::query(
            "UPDATE observations SET state = 'running', attempts = attempts + 1, \
             scanner_version = $1, scanner_snapshot = $2, triggered_by = $3, \
             triggered_by_user_id = $4, lease_owner = $5, lease_expires_at_ms = $6, \
             lease_expiries = $7, started_at_ms = $8, completed_at_ms = NULL, output = NULL, \
             segments = NULL, error_kind = NULL, error_message = NULL \
             WHERE id = $9 AND attempts = $10 AND state = $11",
        )
        .bind(request.scanner_version)
        .bind(snapshot)
        .bind(request.trigger.as_str())
        .bind(&request.triggered_by_user_id)
        .bind(&request.owner)
        .bind(now + request.lease_ms)
        .bind(expiries)
        .bind(now)
        .bind(&current.id)
        .bind(current.attempts)
        .bind(current.state.as_str())
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        Ok(Some(Claim::Claimed(self.observation(&current.id).await?)))
    }

    /// Ends an observation whose leases kept expiring as `failed` with kind `orphaned`.
    async fn orphan(
        &self,
        current: &Observation,
        expiries: i64,
    ) -> Result<Option<Claim>, StoreError> {
        let message = format!(
            "the worker holding this observation stopped {expiries} times before finishing it"
        );
        let updated = sqlx::query(
            "UPDATE observations SET state = 'failed', error_kind = 'orphaned', \
             error_message = $1, lease_owner = NULL, lease_expires_at_ms = NULL, \
             lease_expiries = $2, completed_at_ms = $3 \
             WHERE id = $4 AND attempts = $5 AND state = 'running'",
        )
        .bind(&message)
        .bind(expiries)
        .bind(now_ms())
        .bind(&current.id)
        .bind(current.attempts)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        tracing::warn!(observation_id = %current.id, expiries, "observation orphaned");
        Ok(Some(Claim::Final(self.observation(&current.id).await?)))
    }

    async fn archive(&self, current: &Observation) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO observation_history (observation_id, attempt, state, scanner_version, \
             output, error_kind, error_message, cost_usd, completed_at_ms, archived_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (observation_id, attempt) DO NOTHING",
        )
        .bind(&current.id)
        .bind(current.attempts)
        .bind(current.state.as_str())
        .bind(current.scanner_version)
        .bind(current.output.as_ref().map(|output| output.to_string()))
        .bind(&current.error_kind)
        .bind(&current.error_message)
        .bind(current.cost_usd)
        .bind(current.completed_at_ms)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Extends the lease of a running observation held by `owner` (a heartbeat).
    pub async fn renew_lease(
        &self,
        id: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<(), StoreError> {
        let updated = sqlx::query(
            "UPDATE observations SET lease_expires_at_ms = $1 \
             WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(now_ms() + lease_ms)
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::LostLease { id: id.to_string() });
        }
        Ok(())
    }

    /// Gives a running observation back (a graceful shutdown), so another worker starts it anew.
    pub async fn release(&self, id: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE observations SET state = 'pending', lease_owner = NULL, \
             lease_expires_at_ms = NULL, attempts = attempts - 1 \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores a success and queues its event for every sink, in one transaction.
    pub async fn complete_succeeded(
        &self,
        id: &str,
        owner: &str,
        success: &Success,
        event: &OutboundEvent,
        sinks: &[String],
    ) -> Result<(), StoreError> {
        let mut transaction = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE observations SET state = 'succeeded', output = $1, segments = $2, \
             provider = $3, model = $4, input_tokens = $5, output_tokens = $6, cost_usd = $7, \
             timings = $8, completed_at_ms = $9, lease_owner = NULL, lease_expires_at_ms = NULL \
             WHERE id = $10 AND lease_owner = $11 AND state = 'running'",
        )
        .bind(success.output.to_string())
        .bind(success.segments.to_string())
        .bind(&success.provider)
        .bind(&success.model)
        .bind(success.input_tokens)
        .bind(success.output_tokens)
        .bind(success.cost_usd)
        .bind(success.timings.to_string())
        .bind(now_ms())
        .bind(id)
        .bind(owner)
        .execute(&mut *transaction)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::LostLease { id: id.to_string() });
        }
        Store::enqueue(&mut transaction, event, sinks).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Stores a failure (`state = failed`) or an ineligible kind (`state = ineligible`).
    pub async fn complete_unsuccessful(
        &self,
        id: &str,
        owner: &str,
        state: ObservationState,
        failure: &Failure,
    ) -> Result<(), StoreError> {
        debug_assert!(matches!(
            state,
            ObservationState::Failed | ObservationState::Ineligible
        ));
        let updated = sqlx::query(
            "UPDATE observations SET state = $1, error_kind = $2, error_message = $3, \
             provider = $4, model = $5, input_tokens = $6, output_tokens = $7, cost_usd = $8, \
             timings = $9, completed_at_ms = $10, lease_owner = NULL, lease_expires_at_ms = NULL \
             WHERE id = $11 AND lease_owner = $12 AND state = 'running'",
        )
        .bind(state.as_str())
        .bind(&failure.kind)
        .bind(&failure.message)
        .bind(&failure.provider)
        .bind(&failure.model)
        .bind(failure.input_tokens)
        .bind(failure.output_tokens)
        .bind(failure.cost_usd)
        .bind(failure.timings.to_string())
        .bind(now_ms())
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::LostLease { id: id.to_string() });
        }
        Ok(())
    }

    /// Returns the observation with this id.
    pub async fn observation(&self, id: &str) -> Result<Observation, StoreError> {
        let query = format!("SELECT {COLUMNS} FROM observations WHERE id = $1");
        let row = sqlx::query(&query)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let row = row.ok_or_else(|| StoreError::NotFound {
            what: "observation",
            id: id.to_string(),
        })?;
        observation_from_row(&row)
    }

    /// Returns the observation of this scanner on this session, if there is one.
    pub async fn find_observation(
        &self,
        scanner_id: &str,
        session_id: &str,
    ) -> Result<Option<Observation>, StoreError> {
        let query =
            format!("SELECT {COLUMNS} FROM observations WHERE scanner_id = $1 AND session_id = $2");
        let row = sqlx::query(&query)
            .bind(scanner_id)
            .bind(session_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(observation_from_row).transpose()
    }

    /// Observations matching the filter, newest first.
    pub async fn list_observations(
        &self,
        filter: &ObservationFilter,
    ) -> Result<Vec<Observation>, StoreError> {
        let query = format!(
            "SELECT {COLUMNS} FROM observations \
             WHERE ($1 IS NULL OR scanner_id = $1) AND ($2 IS NULL OR session_id = $2) \
             AND ($3 IS NULL OR state = $3) \
             ORDER BY created_at_ms DESC, id DESC LIMIT $4"
        );
        let rows = sqlx::query(&query)
            .bind(&filter.scanner_id)
            .bind(&filter.session_id)
            .bind(filter.state.map(ObservationState::as_str))
            .bind(filter.limit.unwrap_or(1000))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(observation_from_row).collect()
    }

    /// Counts the earlier attempts of an observation that the history keeps.
    pub async fn history_len(&self, id: &str) -> Result<i64, StoreError> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM observation_history WHERE observation_id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok(row.try_get("n")?)
    }
}

fn observation_from_row(row: &AnyRow) -> Result<Observation, StoreError> {
    let state: String = row.try_get("state")?;
    let snapshot: String = row.try_get("scanner_snapshot")?;
    Ok(Observation {
        id: row.try_get("id")?,
        scanner_id: row.try_get("scanner_id")?,
        session_id: row.try_get("session_id")?,
        state: ObservationState::parse(&state).unwrap_or(ObservationState::Failed),
        scanner_version: row.try_get("scanner_version")?,
        scanner_snapshot: super::parse_json("scanner_snapshot", &snapshot)?,
        triggered_by: row.try_get("triggered_by")?,
        triggered_by_user_id: row.try_get("triggered_by_user_id")?,
        attempts: row.try_get("attempts")?,
        output: optional_json(row, "output")?,
        segments: optional_json(row, "segments")?,
        error_kind: row.try_get("error_kind")?,
        error_message: row.try_get("error_message")?,
        provider: row.try_get("provider")?,
        model: row.try_get("model")?,
        input_tokens: row.try_get("input_tokens")?,
        output_tokens: row.try_get("output_tokens")?,
        cost_usd: row.try_get("cost_usd")?,
        timings: optional_json(row, "timings")?,
        session_started_at_ms: row.try_get("session_started_at_ms")?,
        created_at_ms: row.try_get("created_at_ms")?,
        started_at_ms: row.try_get("started_at_ms")?,
        completed_at_ms: row.try_get("completed_at_ms")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_expires_at_ms: row.try_get("lease_expires_at_ms")?,
        lease_expiries: row.try_get("lease_expiries")?,
    })
}
