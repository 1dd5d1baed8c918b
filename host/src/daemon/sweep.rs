//! The sweep: for every enabled scanner that is within its budget, the settled sessions it has
//! no decision for, each kept or left out by deterministic sampling, and the kept ones queued.
//! Each (scanner, session) pair is decided once, so sweeps on several daemons never queue a
//! pair twice. The sweep also queues again observations whose worker vanished: `pending` ones
//! (released by a shutdown) and `running` ones whose lease expired.

use super::{budget, sampling, scanners, Shared};
use crate::store::{now_ms, Decision};

/// Counts of one sweep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Pairs queued for scanners on schedule.
    pub queued: usize,
    /// Pairs left out by sampling.
    pub sampled_out: usize,
    /// Observations of vanished workers queued again.
    pub requeued: usize,
    /// Scanners skipped because they are disabled or paused.
    pub skipped_scanners: usize,
}

/// Runs one sweep.
pub async fn sweep(shared: &Shared) -> anyhow::Result<SweepReport> {
    let now = now_ms();
    let settle_ms = (shared.config.daemon.settle_s * 1000.0) as i64;
    let mut report = SweepReport::default();
    for stored in shared.store.scanners().await? {
        let definition = match scanners::definition(&stored) {
            Ok(definition) => definition,
            Err(error) => {
                tracing::warn!(scanner_id = %stored.id, error = %format!("{error:#}"), "scanner skipped");
                report.skipped_scanners += 1;
                continue;
            }
        };
        let budget = shared.config.daemon.budgets.for_scanner(&stored.id);
        let may_run = definition.enabled
            && budget::enforce(
                &shared.store,
                &stored.id,
                stored.paused_reason.as_deref(),
                budget,
                now,
            )
            .await?;
        if !may_run || definition.sampling_rate <= 0.0 {
            report.skipped_scanners += 1;
            continue;
        }
        let sessions = shared
            .store
            .undecided_sessions(
                &stored.id,
                now - settle_ms,
                shared.config.daemon.max_candidates_per_sweep,
            )
            .await?;
        let decisions: Vec<(String, Decision)> = sessions
            .into_iter()
            .map(|session_id| {
                let decision = if sampling::keeps(&session_id, &stored.id, definition.sampling_rate)
                {
                    Decision::Queued
                } else {
                    Decision::SampledOut
                };
                (session_id, decision)
            })
            .collect();
        let sampled_out = decisions
            .iter()
            .filter(|(_, decision)| *decision == Decision::SampledOut)
            .count();
        let queued = shared
            .store
            .record_decisions(&stored.id, &decisions)
            .await?;
        if queued > 0 || sampled_out > 0 {
            tracing::info!(scanner_id = %stored.id, queued, sampled_out, "sweep decided sessions");
        }
        report.queued += queued;
        report.sampled_out += sampled_out;
    }
    report.requeued = shared.store.requeue_abandoned(now).await?;
    shared.metrics.record_sweep(report.queued as u64);
    Ok(report)
}
