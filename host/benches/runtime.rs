//! Benchmarks of the scanner type runtime: compiling a component (cold and from the on-disk
//! cache), instantiating it, and one observation's guest work per built-in type (matches,
//! build-prompt and parse-output).
//!
//! Needs the components from `make guests`, read from `$CARGO_TARGET_DIR/wasm32-wasip2/guest`
//! (or `target/` at the workspace root). Run with `cargo bench -p replay-vision --bench runtime`.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use replay_vision::runtime::{
    CacheOutcome, EventKind, Filters, LogEntry, PromptInput, Runtime, RuntimeOptions, ScannerType,
    SessionMeta,
};
use serde_json::json;

fn guest(name: &str) -> Vec<u8> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join(format!("wasm32-wasip2/guest/{name}.wasm"));
    std::fs::read(&path)
        .unwrap_or_else(|error| panic!("{}: {error}; run `make guests` first", path.display()))
}

fn runtime(cache_dir: Option<PathBuf>) -> Runtime {
    Runtime::new(RuntimeOptions {
        cache_dir,
        ..RuntimeOptions::default()
    })
    .expect("build the runtime")
}

fn session() -> SessionMeta {
    SessionMeta {
        session_id: "bench".to_owned(),
        start_time_ms: 1_767_225_600_000,
        duration_ms: 95_000,
        active_seconds: 62.0,
        urls: vec![
            "https://shop.example/".to_owned(),
            "https://shop.example/cart".to_owned(),
        ],
        clicks: 14,
        rage_clicks: 2,
        dead_clicks: 1,
        console_errors: 1,
        failed_requests: 1,
        navigations: 2,
        device_type: Some("desktop".to_owned()),
        browser: Some("Chrome".to_owned()),
        os: None,
        country: Some("DE".to_owned()),
        custom_events: Vec::new(),
    }
}

/// Builds an event log of 200 entries, about a busy few minutes of a session.
fn event_log() -> Vec<LogEntry> {
    (0..200)
        .map(|index| LogEntry {
            time_ms: index * 450,
            window_id: "w1".to_owned(),
            kind: if index % 10 == 0 {
                EventKind::Navigation
            } else {
                EventKind::Click
            },
            target: Some(format!("button \"Item {index}\"")),
            text: None,
        })
        .collect()
}

fn compile(c: &mut Criterion) {
    let wasm = guest("scanner_monitor");
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    let cold = runtime(None);
    group.bench_function("cold", |b| b.iter(|| cold.load(&wasm, "monitor").unwrap()));
    let cache = tempfile::tempdir().unwrap();
    let cached = runtime(Some(cache.path().to_path_buf()));
    cached.load(&wasm, "monitor").unwrap();
    group.bench_function("cached", |b| {
        b.iter(|| {
            let (_, outcome) = cached.load(&wasm, "monitor").unwrap();
            assert_eq!(outcome, CacheOutcome::Hit);
        })
    });
    group.finish();
}

fn instantiate(c: &mut Criterion) {
    let (scanner_type, _) = runtime(None)
        .load(&guest("scanner_monitor"), "monitor")
        .unwrap();
    let filters = Filters::none();
    let session = session();
    // `matches` with no filters does almost no guest work, so this is instantiation plus
    // the cost of one call.
    c.bench_function("instantiate_and_call", |b| {
        b.iter(|| scanner_type.matches(&filters, &session).unwrap())
    });
}

/// Runs one observation's guest work: matches, build-prompt and parse-output.
fn round(scanner_type: &ScannerType, config: &str, step: &str, answer: &str) {
    let session = session();
    let matched = scanner_type.matches(&Filters::none(), &session).unwrap();
    assert!(matched.value.matched);
    let input = PromptInput {
        config: config.to_owned(),
        step: step.to_owned(),
        session,
        event_log: event_log(),
        previous: Vec::new(),
    };
    scanner_type.build_prompt(&input).unwrap().value.unwrap();
    scanner_type
        .parse_output(config, step, answer)
        .unwrap()
        .value
        .unwrap();
}

fn observation(c: &mut Criterion) {
    let runtime = runtime(None);
    let cases = [
        (
            "monitor",
            json!({"prompt": "Did the payment fail?"}),
            "answer",
            json!({"reasoning": "Failed (t 31).", "verdict": "yes", "confidence": 0.8}),
        ),
        (
            "classifier",
            json!({"prompt": "Intent?", "tags": ["browsing", "purchasing", "support"]}),
            "answer",
            json!({"reasoning": "Paid (t 31).", "tags": ["purchasing"], "confidence": 0.7}),
        ),
        (
            "scorer",
            json!({"prompt": "Frustration?", "scale": {"min": 0, "max": 10}}),
            "answer",
            json!({"reasoning": "Rage (t 33).", "score": 7, "confidence": 0.6}),
        ),
        (
            "summarizer",
            json!({"prompt": "Pages and errors."}),
            "summary",
            json!({"title": "Failed checkout", "summary": "Paid (t 31).", "confidence": 0.8}),
        ),
        (
            "checklist",
            json!({"prompt": "Checkout.", "questions": [{"id": "paid", "question": "Paid?"}]}),
            "answer",
            json!({"reasoning": "Failed (t 31).", "paid": "no", "confidence": 0.8}),
        ),
    ];
    let mut group = c.benchmark_group("observation");
    for (id, config, step, answer) in cases {
        let (scanner_type, _) = runtime.load(&guest(&format!("scanner_{id}")), id).unwrap();
        let (config, answer) = (config.to_string(), answer.to_string());
        group.bench_function(id, |b| {
            b.iter(|| round(&scanner_type, &config, step, &answer))
        });
    }
    group.finish();
}

/// Splits the monitor's round into its three calls, to show where the time goes.
fn calls(c: &mut Criterion) {
    let (monitor, _) = runtime(None)
        .load(&guest("scanner_monitor"), "monitor")
        .unwrap();
    let config = json!({"prompt": "Did the payment fail?"}).to_string();
    let answer = json!({"reasoning": "Failed (t 31).", "verdict": "yes", "confidence": 0.8});
    let answer = answer.to_string();
    let input = PromptInput {
        config: config.clone(),
        step: "answer".to_owned(),
        session: session(),
        event_log: event_log(),
        previous: Vec::new(),
    };
    let mut group = c.benchmark_group("monitor");
    group.bench_function("matches", |b| {
        b.iter(|| monitor.matches(&Filters::none(), &input.session).unwrap())
    });
    group.bench_function("build_prompt_200_events", |b| {
        b.iter(|| monitor.build_prompt(&input).unwrap())
    });
    let no_events = PromptInput {
        event_log: Vec::new(),
        ..input.clone()
    };
    group.bench_function("build_prompt_no_events", |b| {
        b.iter(|| monitor.build_prompt(&no_events).unwrap())
    });
    group.bench_function("parse_output", |b| {
        b.iter(|| monitor.parse_output(&config, "answer", &answer).unwrap())
    });
    group.finish();
}

criterion_group!(benches, compile, instantiate, observation, calls);
criterion_main!(benches);
