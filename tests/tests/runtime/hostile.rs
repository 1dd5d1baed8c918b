//! Hostile guests: each misbehaviour ends in its own error kind, and the same loaded type
//! answers a well-behaved call right after.

use std::time::Duration;

use replay_vision::runtime::{GuestError, Limits, ScannerType};
use serde_json::json;

use crate::support::load;

fn config(behaviour: &str) -> String {
    json!({"prompt": "Anything?", "behaviour": behaviour}).to_string()
}

fn misbehave(scanner_type: &ScannerType, behaviour: &str) -> GuestError {
    scanner_type
        .parse_output(&config(behaviour), "answer", "{}")
        .expect_err("the call must fail")
}

/// A call that must succeed after a failure, proving the host still works.
fn assert_still_works(scanner_type: &ScannerType) {
    let parsed = scanner_type
        .parse_output(&config("echo"), "answer", "hello")
        .expect("the host keeps working")
        .value
        .expect("echo always succeeds");
    assert_eq!(parsed.output, r#"{"echo":"hello"}"#);
}

#[test]
fn endless_loop_hits_deadline() {
    let mut hostile = load("guest_hostile");
    hostile.set_limits(Limits {
        deadline: Duration::from_millis(300),
        ..Limits::default()
    });
    let error = misbehave(&hostile, "loop");
    assert_eq!(error.kind(), "deadline", "{error}");
    assert_still_works(&hostile);
}

#[test]
fn huge_allocation_hits_memory_cap() {
    let hostile = load("guest_hostile");
    let error = misbehave(&hostile, "allocate");
    assert_eq!(error.kind(), "memory_limit", "{error}");
    assert_still_works(&hostile);
}

#[test]
fn panic_is_trap() {
    let hostile = load("guest_hostile");
    let error = misbehave(&hostile, "panic");
    assert_eq!(error.kind(), "trap", "{error}");
    assert_still_works(&hostile);
}

#[test]
fn huge_output_hits_cap() {
    let mut hostile = load("guest_hostile");
    // The guest needs room and time to build 100 MB before returning it; the deadline is
    // generous because other tests share the cores.
    hostile.set_limits(Limits {
        max_memory_bytes: 512 << 20,
        deadline: Duration::from_secs(60),
        ..Limits::default()
    });
    let error = misbehave(&hostile, "huge-output");
    assert_eq!(error.kind(), "output_too_large", "{error}");
    assert_still_works(&hostile);
}

#[test]
fn oversized_answer_rejected() {
    let hostile = load("guest_hostile");
    let answer = "x".repeat(Limits::default().max_input_bytes + 1);
    let error = hostile
        .parse_output(&config("echo"), "answer", &answer)
        .unwrap_err();
    assert_eq!(error.kind(), "input_too_large");
}
