//! The renderer against real Chromium, rrweb and ffmpeg: fixtures from real sessions and small
//! synthetic recordings whose expected pixels are known. Each test starts its own browser; frame
//! caps keep the suite short on two cores.

#[path = "render/support.rs"]
mod support;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use replay_vision::render::{FrameReason, InteractionKind, RenderError, SessionEvents, Timeline};
use serde_json::json;
use support::*;

/// A render that hangs fails the test instead of the suite.
const LIMIT: Duration = Duration::from_secs(120);

#[tokio::test]
async fn video_matches_clock() {
    let cache = tempfile::tempdir().unwrap();
    let renderer = renderer(settings(cache.path()));
    let session = fixture("recordings/rrweb-player-demoit-react-hooks.json");
    let rendered = renderer.render_session(&session, |_, _| {}).await.unwrap();
    let (frames, duration) = probe(&rendered.video_path);
    assert_eq!(frames, rendered.clock.frames.len());
    assert!(
        (duration - rendered.clock.video_duration_s()).abs() < 0.01,
        "{duration}"
    );
    assert_eq!(rendered.frame_paths.len(), rendered.clock.frames.len());
}

#[tokio::test]
async fn renders_twice_same_frames() {
    let session = fixture("recordings/chalk-ci-automated-todo-entry.json");
    let mut hashes = Vec::new();
    for _ in 0..2 {
        let cache = tempfile::tempdir().unwrap();
        let renderer = renderer(settings(cache.path()));
        let rendered = renderer.render_session(&session, |_, _| {}).await.unwrap();
        let frames: Vec<Vec<u8>> = rendered
            .frame_paths
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        hashes.push((rendered.clock.frames.clone(), frames));
        renderer.shutdown().await;
    }
    assert_eq!(hashes[0].0, hashes[1].0);
    let differing = hashes[0]
        .1
        .iter()
        .zip(&hashes[1].1)
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        differing * 100 <= hashes[0].1.len(),
        "{differing} frames differ"
    );
}

#[tokio::test]
async fn footer_url_is_meta_href() {
    let cache = tempfile::tempdir().unwrap();
    let renderer = renderer(settings(cache.path()));
    let session = fixture("recordings/posthog-com-docs-2-snapshots-short.json");
    let rendered = renderer.render_session(&session, |_, _| {}).await.unwrap();
    let raw: Vec<serde_json::Value> = serde_json::from_slice(
        &std::fs::read(data("recordings/posthog-com-docs-2-snapshots-short.json")).unwrap(),
    )
    .unwrap();
    let start = raw
        .iter()
        .filter_map(|e| e["timestamp"].as_i64())
        .min()
        .unwrap();
    for frame in &rendered.clock.frames {
        let at = start + frame.session_ms as i64;
        let href = raw
            .iter()
            .filter(|e| e["type"] == 4 && e["timestamp"].as_i64().unwrap() <= at)
            .max_by_key(|e| e["timestamp"].as_i64())
            .and_then(|e| e["data"]["href"].as_str());
        assert_eq!(
            frame.url.as_deref(),
            href,
            "frame at {} ms",
            frame.session_ms
        );
    }
}

#[tokio::test]
async fn click_result_visible() {
    let events = vec![
        meta(0, "https://app.example/"),
        full_snapshot(
            0,
            "margin:0;height:100vh;background:#ffffff",
            vec![],
            vec![],
        ),
        mouse_move(1000, 600, 300),
        click(3000, 600, 300),
        body_style(3050, "margin:0;height:100vh;background:#ff0000"),
        mouse_move(6000, 610, 310),
    ];
    let cache = tempfile::tempdir().unwrap();
    let renderer = renderer(settings(cache.path()));
    let session = SessionEvents::from_events("click", events);

    let rendered = renderer.render_session(&session, |_, _| {}).await.unwrap();
    let clock = &rendered.clock.frames;
    let after = clock
        .iter()
        .position(|f| f.reason == FrameReason::After(InteractionKind::Click))
        .expect("a frame after the click");
    let before = clock
        .iter()
        .position(|f| f.session_ms < 3000)
        .expect("a frame before");

    let red = pixel(&rendered.frame_paths[after], 100, 100);
    assert!(red[0] > 200, "red after the click: {red:?}");
    assert!(red[1] < 60, "green after the click: {red:?}");
    assert!(red[2] < 60, "blue after the click: {red:?}");

    let white = pixel(&rendered.frame_paths[before], 100, 100);
    assert!(
        white.iter().all(|c| *c > 200),
        "white before the click: {white:?}"
    );
}

#[tokio::test]
async fn long_idle_covers_active_time() {
    let cache = tempfile::tempdir().unwrap();
    let settings = settings(cache.path());
    let policy = settings.frames.clone();
    let renderer = renderer(settings);
    let session = fixture("recordings/chalk-todo-1h43m-long-idle.json");
    let rendered = renderer.render_session(&session, |_, _| {}).await.unwrap();
    let timeline = Timeline::build(&session, policy.inactivity_ms).unwrap();
    let reach = policy.interaction_delay_ms;
    for frame in &rendered.clock.frames {
        let inside = timeline
            .spans
            .iter()
            .any(|s| frame.session_ms >= s.start_ms && frame.session_ms <= s.end_ms + reach);
        assert!(
            inside,
            "frame at {} ms is outside activity",
            frame.session_ms
        );
    }
    let longest_cut = rendered.clock.frames.iter().map(|f| f.idle_before_ms).max();
    assert!(longest_cut > Some(5_000_000), "{longest_cut:?}");
    assert!(rendered.clock.video_duration_s() < 120.0);
}

#[tokio::test]
async fn loopback_listener_gets_no_requests() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopping = stop.clone();
    let watcher = std::thread::spawn(move || {
        while !stopping.load(Ordering::Relaxed) {
            if listener.accept().is_ok() {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });

    let head = vec![element(
        6,
        "link",
        json!({"rel": "stylesheet", "href": format!("{base}/a.css")}),
        vec![],
    )];
    let body = vec![
        element(7, "img", json!({"src": format!("{base}/i.png")}), vec![]),
        element(
            8,
            "iframe",
            json!({"src": format!("{base}/f.html")}),
            vec![],
        ),
        element(
            9,
            "div",
            json!({"style": format!("width:50px;height:50px;background:url({base}/bg.png)")}),
            vec![],
        ),
        element(10, "img", json!({"src": "/relative.png"}), vec![]),
    ];
    let events = vec![
        meta(0, &format!("{base}/page")),
        full_snapshot(0, "margin:0", head, body),
        mouse_move(1000, 10, 10),
        click(2000, 10, 10),
        mouse_move(4000, 20, 20),
    ];
    let cache = tempfile::tempdir().unwrap();
    let renderer = renderer(settings(cache.path()));
    let session = SessionEvents::from_events("network", events);
    let rendered = renderer.render_session(&session, |_, _| {}).await.unwrap();
    renderer.shutdown().await;
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    watcher.join().unwrap();
    assert_eq!(accepted.load(Ordering::Relaxed), 0);
    assert!(rendered.stats.blocked_requests >= 3, "{:?}", rendered.stats);
}

#[tokio::test]
async fn throwing_snapshot_fails_cleanly() {
    let broken = json!({"type": 2, "timestamp": 0, "data": {"node": null, "initialOffset": {"left": 0, "top": 0}}});
    let events = vec![
        meta(0, "https://app.example/"),
        broken,
        mouse_move(1000, 5, 5),
        click(2000, 5, 5),
    ];
    let cache = tempfile::tempdir().unwrap();
    let renderer = renderer(settings(cache.path()));
    let session = SessionEvents::from_events("broken", events);
    let result = tokio::time::timeout(LIMIT, renderer.render_session(&session, |_, _| {}))
        .await
        .expect("the render ends");
    let error = result.expect_err("a broken snapshot fails");
    assert!(matches!(error, RenderError::Replay(_)), "{error}");
}

#[tokio::test]
async fn killed_browser_fails_cleanly() {
    let cache = tempfile::tempdir().unwrap();
    let renderer = renderer(settings(cache.path()));
    renderer.warm_up().await.unwrap();
    let pid = renderer.browser_pid().expect("a running browser");
    let session = fixture("recordings/rrweb-player-demoit-react-hooks.json");
    let kill = move |done: usize, _total: usize| {
        if done == 2 {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    };
    let result = tokio::time::timeout(LIMIT, renderer.render_session(&session, kill))
        .await
        .expect("the render ends");
    let error = result.expect_err("a killed browser fails the render");
    assert!(matches!(error, RenderError::BrowserDied(_)), "{error}");
    let again = renderer.render_session(&session, |_, _| {}).await;
    assert!(
        again.is_ok(),
        "the next render starts a new browser: {:?}",
        again.err()
    );
}

#[tokio::test]
async fn no_full_snapshot_has_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let renderer = renderer(settings(cache.path()));
    let session = fixture("field-cases/no-full-snapshot.json");
    let error = renderer
        .render_session(&session, |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(error, RenderError::NothingToRender(_)), "{error}");
}

#[tokio::test]
async fn two_windows_follow_user() {
    let cache = tempfile::tempdir().unwrap();
    let renderer = renderer(settings(cache.path()));
    let session = fixture("field-cases/two-windows-interleaved.json");
    let rendered = renderer.render_session(&session, |_, _| {}).await.unwrap();
    let mut sequence: Vec<&str> = rendered
        .clock
        .frames
        .iter()
        .map(|f| f.window_id.as_str())
        .collect();
    sequence.dedup();
    let a = session.windows[0].window_id.as_str();
    let b = session.windows[1].window_id.as_str();
    assert_eq!(sequence, vec![a, b, a]);
}

#[tokio::test]
async fn field_cases_render() {
    for name in [
        "field-cases/css-relative-urls-and-import.json",
        "field-cases/custom-element-invalid-name.json",
    ] {
        let cache = tempfile::tempdir().unwrap();
        let renderer = renderer(settings(cache.path()));
        let rendered = renderer.render_session(&fixture(name), |_, _| {}).await;
        let rendered = rendered.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!rendered.clock.frames.is_empty(), "{name}");
        renderer.shutdown().await;
    }
}

#[tokio::test]
async fn second_render_is_cached() {
    let cache = tempfile::tempdir().unwrap();
    let renderer = renderer(settings(cache.path()));
    let session = fixture("recordings/chalk-ci-automated-todo-entry.json");
    let first = renderer.render_session(&session, |_, _| {}).await.unwrap();
    let second = renderer.render_session(&session, |_, _| {}).await.unwrap();
    assert!(second.stats.cached);
    assert_eq!(first.video_path, second.video_path);
}

/// On a real recording (a todo app), clicking the "low-energy" and "5 minutes" tags at 1.0 s and
/// 1.2 s adds those tags as chips under the todo item. The frame before the clicks shows the
/// dark page background where the chips appear; the frame after them shows a light chip.
#[tokio::test]
async fn real_click_result_visible() {
    let cache = tempfile::tempdir().unwrap();
    let renderer = renderer(settings(cache.path()));
    let session = fixture("recordings/chalk-ci-automated-todo-entry.json");
    let rendered = renderer.render_session(&session, |_, _| {}).await.unwrap();
    let frames = &rendered.clock.frames;
    let before = frames
        .iter()
        .rposition(|f| f.session_ms < 1_000)
        .expect("a frame before the tag clicks");
    let after = frames
        .iter()
        .position(|f| {
            (1_300..2_000).contains(&f.session_ms)
                && f.reason == FrameReason::After(InteractionKind::Click)
        })
        .expect("a frame after the tag clicks");

    let background = pixel(&rendered.frame_paths[before], 290, 178);
    assert!(
        background.iter().all(|c| *c < 80),
        "no chip before the clicks: {background:?}"
    );
    let chip = pixel(&rendered.frame_paths[after], 290, 178);
    assert!(
        chip.iter().all(|c| *c > 90),
        "a chip after the clicks: {chip:?}"
    );
}
