//! A worker takes the queued pairs of one session and loads the session once. It renders the
//! session once in a render slot, so every scanner of the session reads the cached video, and
//! runs each scanner through the pipeline while holding a model permit. A heartbeat extends the leases
//! while it works. On shutdown it finishes the scanner in hand and gives the others back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{budget, scanners, Shared};
use crate::pipeline::{Job, Outcome, Session};
use crate::recording;
use crate::store::{
    now_ms, Claim, ClaimRequest, Failure, ObservationState, StoreError, TakenWork, Trigger,
    WorkItem,
};

/// Takes and runs work until `stop` turns true.
pub async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        match shared
            .store
            .take_work(&shared.owner, shared.lease_ms())
            .await
        {
            Ok(Some(work)) => process(&shared, work, &stop).await,
            Ok(None) => idle(&shared, &mut stop).await,
            Err(error) => {
                tracing::warn!(error = %error, "cannot take work from the queue; retrying");
                idle(&shared, &mut stop).await;
            }
        }
    }
}

/// Waits for new work, a stop, or a second at most.
async fn idle(shared: &Shared, stop: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = shared.work_ready.notified() => {}
        _ = stop.changed() => {}
        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
    }
}

/// Runs the taken pairs of one session, with a heartbeat alongside.
pub async fn process(shared: &Arc<Shared>, work: TakenWork, stop: &watch::Receiver<bool>) {
    let heartbeat = tokio::spawn(heartbeat(shared.clone(), work.session_id.clone()));
    if let Err(error) = process_session(shared, &work, stop).await {
        tracing::warn!(session_id = %work.session_id, error = %format!("{error:#}"), "session work stopped; its pairs are given back");
        for item in &work.items {
            let _ = shared
                .store
                .return_work(&item.scanner_id, &item.session_id, &shared.owner)
                .await;
        }
        // A pause before the next take, so a store that keeps failing is not retried in a
        // tight loop.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    heartbeat.abort();
}

async fn heartbeat(shared: Arc<Shared>, session_id: String) {
    let period = crate::daemon::DaemonConfig::duration(shared.config.daemon.heartbeat_s);
    loop {
        tokio::time::sleep(period).await;
        if let Err(error) = shared
            .store
            .renew_session_leases(&session_id, &shared.owner, shared.lease_ms())
            .await
        {
            tracing::warn!(session_id = %session_id, error = %error, "heartbeat failed; retrying");
        }
    }
}

async fn process_session(
    shared: &Arc<Shared>,
    work: &TakenWork,
    stop: &watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let session = match load(shared, &work.session_id).await {
        Ok(session) => session,
        Err(message) => {
            for item in &work.items {
                store_no_recording(shared, item, &message).await?;
            }
            return Ok(());
        }
    };
    if session.analysis.eligibility.is_eligible() {
        prerender(shared, &session).await;
    }
    for item in &work.items {
        if *stop.borrow() {
            shared
                .store
                .return_work(&item.scanner_id, &item.session_id, &shared.owner)
                .await?;
            continue;
        }
        run_item(shared, &session, item).await?;
    }
    Ok(())
}

/// Loads the recording of a session off the async threads; the error is the reason in words.
async fn load(shared: &Shared, session_id: &str) -> Result<Session, String> {
    let record = shared
        .store
        .session(session_id)
        .await
        .map_err(|error| error.to_string())?
        .ok_or_else(|| format!("session {session_id} is not known to any source"))?;
    let options = shared.config.analysis_options();
    let path = std::path::PathBuf::from(&record.locator);
    tokio::task::spawn_blocking(move || {
        recording::load(&path)
            .map(|recording| Session::new(recording, &options))
            .map_err(|error| error.to_string())
    })
    .await
    .map_err(|error| format!("the recording loader stopped: {error}"))?
}

/// Renders the session in a render slot, so every scanner's run finds the video cached.
async fn prerender(shared: &Shared, session: &Session) {
    let slot = shared.render_slots.acquire().await;
    let started = Instant::now();
    let result = slot.pipeline().render(session).await;
    let elapsed = started.elapsed().as_millis() as u64;
    match result {
        Ok(rendered) => shared.metrics.record_render(rendered.stats.cached, elapsed),
        // The pipeline renders again per scanner and stores `rendering_failed` with the reason.
        Err(failure) => {
            tracing::warn!(session_id = session.id(), error = %failure.message, "render failed")
        }
    }
}

/// Runs one scanner on the session, unless its scanner may not run now.
async fn run_item(shared: &Shared, session: &Session, item: &WorkItem) -> anyhow::Result<()> {
    let store = &shared.store;
    let Some(stored) = store.scanner(&item.scanner_id).await? else {
        tracing::info!(scanner_id = %item.scanner_id, session_id = %item.session_id, "scanner deleted; work dropped");
        return Ok(store
            .finish_work(&item.scanner_id, &item.session_id, &shared.owner)
            .await?);
    };
    let definition = scanners::definition(&stored)?;
    // The budget is checked while holding the permit, so runs of this daemon cannot overtake
    // each other between check and claim.
    // NOTE: daemons sharing a database check independently, so together they can overshoot a
    // budget by up to the number of model calls in flight.
    let _permit = shared.model_permits.acquire().await?;
    if item.trigger == Trigger::Schedule
        && !may_run_on_schedule(shared, &stored, &definition).await?
    {
        // Forgetting the decision lets a sweep queue the pair again once the scanner runs.
        store
            .finish_work(&item.scanner_id, &item.session_id, &shared.owner)
            .await?;
        store
            .forget_decision(&item.scanner_id, &item.session_id)
            .await?;
        tracing::debug!(scanner_id = %stored.id, session_id = %item.session_id, "scanner disabled or paused; work put off");
        return Ok(());
    }

    let job = Job {
        scanner: &definition,
        version: stored.version,
        trigger: item.trigger,
        triggered_by_user_id: item.triggered_by_user_id.clone(),
        rerun: false,
    };
    let started = Instant::now();
    let outcome = shared.render_slots.first().observe(session, &job).await;
    shared
        .metrics
        .record_model_run(started.elapsed().as_millis() as u64);
    match outcome {
        Ok(outcome) => log_outcome(&outcome, item),
        Err(error) if error.downcast_ref::<StoreError>().is_some() => return Err(error),
        Err(error) => {
            tracing::warn!(scanner_id = %item.scanner_id, session_id = %item.session_id, error = %format!("{error:#}"), "scanner cannot run; work dropped");
        }
    }
    store
        .finish_work(&item.scanner_id, &item.session_id, &shared.owner)
        .await?;
    Ok(())
}

/// Returns whether a scanner may run on schedule now: enabled and within its budget.
async fn may_run_on_schedule(
    shared: &Shared,
    stored: &crate::store::StoredScanner,
    definition: &crate::scanner::ScannerDefinition,
) -> Result<bool, StoreError> {
    if !definition.enabled {
        return Ok(false);
    }
    let budget = shared.config.daemon.budgets.for_scanner(&stored.id);
    budget::enforce(
        &shared.store,
        &stored.id,
        stored.paused_reason.as_deref(),
        budget,
        now_ms(),
    )
    .await
}

fn log_outcome(outcome: &Outcome, item: &WorkItem) {
    match outcome {
        Outcome::Stored { observation } | Outcome::AlreadyFinal { observation } => {
            tracing::debug!(observation_id = %observation.id, state = observation.state.as_str(), "work done");
        }
        Outcome::Busy { observation } => {
            // The sweep queues it again if that worker's lease runs out.
            tracing::debug!(observation_id = %observation.id, "observation held by another worker");
        }
        Outcome::NotMatched { reason, .. } => {
            tracing::debug!(scanner_id = %item.scanner_id, session_id = %item.session_id, reason = %reason, "filters do not select the session");
        }
        Outcome::DryRun(_) => {
            tracing::warn!(scanner_id = %item.scanner_id, "no model configured; nothing stored");
        }
    }
}

/// Stores `no_recording` for a pair whose recording cannot be read any more.
async fn store_no_recording(shared: &Shared, item: &WorkItem, message: &str) -> anyhow::Result<()> {
    let store = &shared.store;
    let snapshot = match store.scanner(&item.scanner_id).await? {
        Some(stored) => (stored.version, stored.definition),
        None => (0, serde_json::Value::Null),
    };
    let request = ClaimRequest {
        scanner_id: item.scanner_id.clone(),
        session_id: item.session_id.clone(),
        scanner_version: snapshot.0,
        scanner_snapshot: snapshot.1,
        trigger: item.trigger,
        triggered_by_user_id: item.triggered_by_user_id.clone(),
        session_started_at_ms: None,
        owner: shared.owner.clone(),
        lease_ms: shared.lease_ms(),
        rerun: false,
        max_lease_expiries: shared.config.daemon.max_lease_expiries,
    };
    if let Claim::Claimed(observation) = store.claim(&request).await? {
        let failure = Failure {
            kind: "no_recording".into(),
            message: message.to_string(),
            ..Failure::default()
        };
        tracing::warn!(observation_id = %observation.id, session_id = %item.session_id, error = %message, "recording unreadable; stored as no_recording");
        store
            .complete_unsuccessful(
                &observation.id,
                &shared.owner,
                ObservationState::Ineligible,
                &failure,
            )
            .await?;
    }
    store
        .finish_work(&item.scanner_id, &item.session_id, &shared.owner)
        .await?;
    Ok(())
}
