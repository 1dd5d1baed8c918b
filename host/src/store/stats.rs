//! Totals over observations for the daemon's metrics: counts by state and kind, tokens, cost.

use sqlx::Row;

use super::{Store, StoreError};

/// Observations with one state and kind (`kind` is empty for succeeded and in-flight ones).
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationTotals {
    pub state: String,
    pub kind: String,
    pub count: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_usd: f64,
}

impl Store {
    /// Totals of every observation, grouped by state and kind.
    pub async fn observation_totals(&self) -> Result<Vec<ObservationTotals>, StoreError> {
        // PostgreSQL sums BIGINT columns as NUMERIC, so the sums are cast back.
        let rows = sqlx::query(
            "SELECT state, COALESCE(error_kind, '') AS kind, COUNT(*) AS n, \
             CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens, \
             CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens, \
             CAST(COALESCE(SUM(cost_usd), 0) AS DOUBLE PRECISION) AS cost \
             FROM observations GROUP BY state, COALESCE(error_kind, '') ORDER BY state, kind",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ObservationTotals {
                    state: row.try_get("state")?,
                    kind: row.try_get("kind")?,
                    count: row.try_get("n")?,
                    input_tokens: row.try_get("input_tokens")?,
                    output_tokens: row.try_get("output_tokens")?,
                    cost_usd: row.try_get("cost")?,
                })
            })
            .collect()
    }
}
