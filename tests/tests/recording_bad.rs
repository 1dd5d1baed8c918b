//! The bad-input corpus in `tests/data/bad/` (written by `scripts/make-bad-recordings.py`):
//! each broken input gives the error kind a caller branches on, and a message naming the file
//! and the cause. Inputs that are odd but usable load and analyse without a crash.

use std::io::Write;
use std::path::PathBuf;

use replay_vision::recording::{
    analyze, load, load_bytes_with, AnalysisOptions, Eligibility, IneligibleKind, LoadError,
    LoadOptions, LogKind,
};

fn bad(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/bad")
        .join(name)
}

fn load_error(name: &str) -> LoadError {
    match load(&bad(name)) {
        Ok(recording) => panic!("{name} loaded with {} events", recording.event_count()),
        Err(error) => error,
    }
}

fn assert_names_file(error: &LoadError, name: &str) {
    let message = error.to_string();
    assert!(
        message.contains(name),
        "message does not name {name}: {message}"
    );
}

#[test]
fn not_json() {
    let error = load_error("not-json.txt");
    assert!(
        matches!(error, LoadError::Syntax { line: 1, .. }),
        "{error:?}"
    );
    assert_names_file(&error, "not-json.txt");
}

#[test]
fn truncated_json() {
    let error = load_error("truncated.json");
    assert!(matches!(error, LoadError::Truncated { .. }), "{error:?}");
    assert!(error.to_string().contains("truncated"), "{error}");
    assert_names_file(&error, "truncated.json");
}

#[test]
fn wrong_shape() {
    let error = load_error("wrong-shape.json");
    assert!(matches!(error, LoadError::Shape { .. }), "{error:?}");
    assert_names_file(&error, "wrong-shape.json");
}

#[test]
fn empty_array() {
    let error = load_error("empty-array.json");
    assert!(matches!(error, LoadError::Empty { .. }), "{error:?}");
    assert_names_file(&error, "empty-array.json");
}

#[test]
fn unsupported_version() {
    let error = load_error("unsupported-version.json");
    let LoadError::UnsupportedVersion { version, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(version, "2099-01-01");
}

#[test]
fn no_timestamps() {
    let error = load_error("no-timestamps.json");
    let LoadError::MissingField { index, field, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*index, 0);
    assert_eq!(*field, "timestamp");
    assert_names_file(&error, "no-timestamps.json");
}

#[test]
fn no_full_snapshot_ineligible() {
    let recording = load(&bad("no-full-snapshot.json")).unwrap();
    let analysis = analyze(&recording, &AnalysisOptions::default());
    let kind = match analysis.eligibility {
        Eligibility::Ineligible { kind, .. } => Some(kind),
        Eligibility::Eligible => None,
    };
    assert_eq!(kind, Some(IneligibleKind::NoRecording));
}

#[test]
fn invalid_compressed_string() {
    let error = load_error("invalid-compressed.jsonl");
    let LoadError::Compressed { index, detail, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*index, 1);
    assert!(detail.contains("U+263A"), "detail: {detail}");
    assert_names_file(&error, "invalid-compressed.jsonl");
}

#[test]
fn gzip_bomb_field() {
    let error = load_error("gzip-bomb.jsonl.gz");
    let LoadError::TooLarge { limit, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*limit, LoadOptions::default().max_field_bytes);
    assert_names_file(&error, "gzip-bomb.jsonl.gz");
}

#[test]
fn gzip_bomb_file() {
    let source = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("data/recordings/chalk-ci-automated-todo-entry.json"),
    )
    .unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&source).unwrap();
    let gzipped = encoder.finish().unwrap();
    let options = LoadOptions {
        max_input_bytes: 100_000,
        ..LoadOptions::default()
    };
    let error = load_bytes_with("small-limit.json.gz", &gzipped, &options).unwrap_err();
    let LoadError::TooLarge { limit, what, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*limit, 100_000);
    assert_eq!(what, "the input");
}

#[test]
fn deeply_nested_rejected() {
    let error = load_error("deeply-nested.json");
    let LoadError::TooDeep { index, limit, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*index, 1);
    assert_eq!(*limit, LoadOptions::default().max_depth);
    assert_names_file(&error, "deeply-nested.json");
}

#[test]
fn deep_but_allowed_loads() {
    let recording = load(&bad("deep-but-allowed.json")).unwrap();
    let analysis = analyze(&recording, &AnalysisOptions::default());
    let click = analysis
        .log
        .iter()
        .find(|entry| entry.kind == LogKind::Click)
        .expect("the click on the innermost button");
    let text = click
        .target
        .as_ref()
        .and_then(|target| target.text.as_deref());
    assert_eq!(text, Some("Deep button"));
}

#[test]
fn mutation_missing_node_continues() {
    let recording = load(&bad("mutation-missing-node.json")).unwrap();
    let analysis = analyze(&recording, &AnalysisOptions::default());
    assert_eq!(analysis.count(LogKind::Click), 25);
    let original = load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("data/recordings/chalk-ci-automated-todo-entry.json"),
    )
    .unwrap();
    let original = analyze(&original, &AnalysisOptions::default());
    assert_eq!(
        analysis.log, original.log,
        "the orphan mutation changes nothing"
    );
}

#[test]
fn missing_file_named() {
    let error = load_error("does-not-exist.json");
    assert!(matches!(error, LoadError::Io { .. }), "{error:?}");
    assert_names_file(&error, "does-not-exist.json");
}

#[test]
fn fifo_is_rejected_without_blocking() {
    let folder = tempfile::tempdir().unwrap();
    let fifo = folder.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let error = replay_vision::recording::load(&fifo).unwrap_err();
    assert!(matches!(error, LoadError::Shape { .. }), "{error}");
    assert!(error.to_string().contains("not a regular file"), "{error}");
}

#[test]
fn absurd_timestamp_is_rejected() {
    let events = br#"[{"type": 4, "timestamp": 1e300, "data": {"href": "https://example.com/", "width": 800, "height": 600}}]"#;
    let error = replay_vision::recording::load_bytes("absurd.json", events).unwrap_err();
    assert!(error.to_string().contains("absurd.json"), "{error}");
    assert!(
        error.to_string().contains("range of JavaScript dates"),
        "{error}"
    );
}
