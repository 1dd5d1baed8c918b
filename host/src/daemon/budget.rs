//! Daily budgets per scanner: observations started and model cost per UTC day. A scanner over
//! its budget is paused with a `paused_reason` that the API shows; the first sweep of the next
//! UTC day clears a budget pause.

use super::settings::Budget;
use crate::store::{Store, StoreError};

/// The prefix of every `paused_reason` a budget sets, so only those are cleared automatically.
pub const PAUSE_PREFIX: &str = "daily budget reached";

const DAY_MS: i64 = 86_400_000;

/// The start of the UTC day containing `now_ms`.
pub fn day_start(now_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(DAY_MS)
}

/// Returns the pause reason when the scanner has used up today's budget, `None` otherwise.
pub async fn exhausted(
    store: &Store,
    scanner_id: &str,
    budget: Budget,
    now_ms: i64,
) -> Result<Option<String>, StoreError> {
    if budget.observations_per_day.is_none() && budget.cost_usd_per_day.is_none() {
        return Ok(None);
    }
    let (count, cost) = store
        .scanner_usage_since(scanner_id, day_start(now_ms))
        .await?;
    if let Some(limit) = budget.observations_per_day {
        if count >= limit {
            return Ok(Some(format!(
                "{PAUSE_PREFIX}: {count} of {limit} observations today (UTC)"
            )));
        }
    }
    if let Some(limit) = budget.cost_usd_per_day {
        if cost >= limit {
            return Ok(Some(format!(
                "{PAUSE_PREFIX}: ${cost:.4} of ${limit:.4} model cost today (UTC)"
            )));
        }
    }
    Ok(None)
}

/// Pauses or resumes a scanner to match its budget; returns whether it may run now. A pause
/// set by something other than a budget is left alone and keeps the scanner paused.
pub async fn enforce(
    store: &Store,
    scanner_id: &str,
    paused_reason: Option<&str>,
    budget: Budget,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let reason = exhausted(store, scanner_id, budget, now_ms).await?;
    match (paused_reason, reason) {
        (None, None) => Ok(true),
        (Some(current), None) if current.starts_with(PAUSE_PREFIX) => {
            store.set_paused_reason(scanner_id, None).await?;
            tracing::info!(scanner_id, "scanner resumed: budget available again");
            Ok(true)
        }
        (Some(_), None) => Ok(false),
        (current, Some(reason)) => {
            if current != Some(reason.as_str()) {
                store.set_paused_reason(scanner_id, Some(&reason)).await?;
                tracing::info!(scanner_id, reason = %reason, "scanner paused");
            }
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_start_is_utc_midnight() {
        // 2026-12-04T17:00:00Z
        assert_eq!(day_start(1_796_403_600_000), 1_796_342_400_000);
    }
}
