//! The `replay-vision daemon` binary as a child process. Killed with SIGKILL mid-run and
//! restarted several times, it loses and doubles nothing. Stopped with SIGTERM, it leaves no
//! work running. The binary comes from `cargo build -p replay-vision`, which `make test` runs.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use replay_vision::store::{ObservationState, Store};

use super::support::{monitor, queued_pairs, Fixture};

/// Returns the path of the `replay-vision` binary beside this test binary's folder.
fn binary() -> PathBuf {
    let test = std::env::current_exe().expect("test binary path");
    let path = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target folder")
        .join("replay-vision");
    assert!(
        path.exists(),
        "{} is missing; run `cargo build -p replay-vision` first",
        path.display()
    );
    path
}

const FAST_TIMERS: &str = "sweep_interval_s = 0.3\npoll_interval_s = 0.3\n\
    delivery_interval_s = 0.3\nlease_s = 2.0\nheartbeat_s = 0.5\nmax_lease_expiries = 20\n\
    drain_timeout_s = 20.0\nmodel_concurrency = 2\n";

fn start(fixture: &Fixture, run: usize) -> Child {
    let config = fixture.folder.path().join("replay-vision.toml");
    std::fs::write(&config, fixture.config_toml(FAST_TIMERS)).expect("write config");
    let log = std::fs::File::create(fixture.folder.path().join(format!("daemon-{run}.log")))
        .expect("log file");
    Command::new(binary())
        .args(["--config", &config.display().to_string(), "daemon"])
        .env("RUST_LOG", "replay_vision=info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start the daemon binary")
}

async fn final_count(store: &Store) -> usize {
    store
        .list_observations(&Default::default())
        .await
        .expect("list observations")
        .iter()
        .filter(|o| o.state.is_final())
        .count()
}

/// Waits until `done` returns true or `limit` passes, and returns whether `done` did.
async fn wait_for<F, Fut>(limit: Duration, mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM failed");
}

#[tokio::test]
async fn sigkill_restarts_lose_nothing() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("a.toml", &monitor("A", 1.0));
    fixture.add_scanner("b.toml", &monitor("B", 1.0));
    // Enough work that three early kills cannot all land after it is done, even on an idle
    // machine.
    let sessions = 10;
    for i in 0..sessions {
        fixture.add_session(&format!("s{i}"));
    }
    let store = &fixture.store.store;

    for run in 0..3 {
        let before = final_count(store).await;
        let mut child = start(&fixture, run);
        // Kill once the run has made some progress, or after a while when it has not.
        wait_for(Duration::from_secs(20), || async {
            final_count(store).await > before
        })
        .await;
        child.kill().expect("SIGKILL the daemon");
        child.wait().expect("reap the daemon");
    }
    assert!(
        final_count(store).await < 2 * sessions,
        "the kills land before the work is done, or the test proves nothing"
    );
    let mut child = start(&fixture, 3);
    let finished = wait_for(Duration::from_secs(90), || async {
        final_count(store).await == 2 * sessions
            && store.undelivered_count().await.unwrap_or(1) == 0
    })
    .await;
    terminate(&child);
    child.wait().expect("reap the daemon");

    assert!(finished, "every pair ends within the time limit");
    let observations = store.list_observations(&Default::default()).await.unwrap();
    assert_eq!(observations.len(), 2 * sessions, "one observation per pair");
    for observation in &observations {
        assert_eq!(
            observation.state,
            ObservationState::Succeeded,
            "{observation:?}"
        );
    }
    let events = store.events("$recording_observed").await.unwrap();
    assert_eq!(events.len(), 2 * sessions, "one event per observation");
    assert!(queued_pairs(store).await.is_empty());
}

#[tokio::test]
async fn sigterm_drains_work() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("a.toml", &monitor("A", 1.0));
    for i in 0..3 {
        fixture.add_session(&format!("s{i}"));
    }
    let store = &fixture.store.store;
    let mut child = start(&fixture, 0);
    let started = wait_for(Duration::from_secs(30), || async {
        !store
            .list_observations(&Default::default())
            .await
            .unwrap_or_default()
            .is_empty()
    })
    .await;
    assert!(started, "the daemon starts work");

    terminate(&child);
    let status = child.wait().expect("reap the daemon");

    assert!(status.success(), "the daemon exits cleanly: {status}");
    let observations = store.list_observations(&Default::default()).await.unwrap();
    let running: Vec<_> = observations
        .iter()
        .filter(|o| o.state == ObservationState::Running)
        .collect();
    assert!(running.is_empty(), "nothing is left running: {running:?}");
    let (_, taken) = store.queue_depth().await.unwrap();
    assert_eq!(taken, 0, "no queued pair is left taken");
}

fn check(fixture: &Fixture, extra_daemon: &str) -> std::process::Output {
    let config = fixture.folder.path().join("check.toml");
    std::fs::write(&config, fixture.config_toml(extra_daemon)).expect("write config");
    Command::new(binary())
        .args([
            "--config",
            &config.display().to_string(),
            "daemon",
            "--check",
        ])
        .output()
        .expect("run daemon --check")
}

#[tokio::test]
async fn check_accepts_valid_config() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("a.toml", &monitor("A", 1.0));

    let output = check(&fixture, "");

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("configuration OK"), "{stdout}");
}

#[tokio::test]
async fn check_reports_short_lease() {
    let fixture = Fixture::sqlite().await;

    let output = check(&fixture, "lease_s = 5.0\nheartbeat_s = 10.0\n");

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("heartbeat_s"), "{stderr}");
}

#[tokio::test]
async fn repeated_kills_end_orphaned() {
    let fixture = Fixture::sqlite().await;
    fixture.add_scanner("a.toml", &monitor("A", 1.0));
    fixture.add_session("s1");
    // Every model call hangs, so each daemon dies with the observation in hand.
    fixture
        .standin
        .script((0..6).map(|_| replay_vision_tests::standin::Reply::Hang));
    let store = &fixture.store.store;
    let timers = "sweep_interval_s = 0.3\npoll_interval_s = 0.3\nlease_s = 1.0\n\
                  heartbeat_s = 0.3\nmax_lease_expiries = 2\ndrain_timeout_s = 1.0\n";
    let config = fixture.folder.path().join("replay-vision.toml");
    std::fs::write(&config, fixture.config_toml(timers)).expect("write config");
    let spawn = |run: usize| {
        let log = std::fs::File::create(fixture.folder.path().join(format!("orphan-{run}.log")))
            .expect("log file");
        Command::new(binary())
            .args(["--config", &config.display().to_string(), "daemon"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the daemon binary")
    };

    for attempt in 1..=2 {
        let mut child = spawn(attempt);
        let running = wait_for(Duration::from_secs(30), || async {
            store
                .find_observation("a", "s1")
                .await
                .ok()
                .flatten()
                .is_some_and(|o| {
                    o.state == ObservationState::Running && o.attempts == attempt as i64
                })
        })
        .await;
        child.kill().expect("SIGKILL the daemon");
        child.wait().expect("reap the daemon");
        assert!(running, "run {attempt} claims the observation");
    }
    let mut child = spawn(3);
    let orphaned = wait_for(Duration::from_secs(30), || async {
        store
            .find_observation("a", "s1")
            .await
            .ok()
            .flatten()
            .is_some_and(|o| o.state.is_final() || o.state == ObservationState::Failed)
    })
    .await;
    terminate(&child);
    child.wait().expect("reap the daemon");

    assert!(orphaned, "the observation ends within the time limit");
    let observation = store.find_observation("a", "s1").await.unwrap().unwrap();
    assert_eq!(observation.state, ObservationState::Failed);
    assert_eq!(observation.error_kind.as_deref(), Some("orphaned"));
    assert_eq!(observation.lease_expiries, 2);
}
