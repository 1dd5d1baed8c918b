//! Invalid scanner configs, checked by the compiled components: each message names the
//! field to fix.

use serde_json::{json, Value};

use crate::support::load;

/// The field named by the first problem `validate-config` reports.
fn first_field(file: &str, config: Value) -> Option<String> {
    let problems = load(file)
        .validate_config(&config.to_string())
        .unwrap()
        .value
        .expect_err("the config must be rejected");
    problems[0].field.clone()
}

#[test]
fn missing_prompt_named() {
    let field = first_field("scanner_monitor", json!({"allow_inconclusive": true}));
    assert_eq!(field.as_deref(), Some("prompt"));
}

#[test]
fn blank_prompt_named() {
    let field = first_field("scanner_scorer", json!({"prompt": "   "}));
    assert_eq!(field.as_deref(), Some("prompt"));
}

#[test]
fn empty_vocabulary_named() {
    let field = first_field("scanner_classifier", json!({"prompt": "q", "tags": []}));
    assert_eq!(field.as_deref(), Some("tags"));
}

#[test]
fn scale_min_not_below_max_named() {
    let config = json!({"prompt": "q", "scale": {"min": 10, "max": 0}});
    assert_eq!(
        first_field("scanner_scorer", config).as_deref(),
        Some("scale.min")
    );
}

#[test]
fn unknown_key_named() {
    let config = json!({"prompt": "q", "tags": ["a"], "colour": "red"});
    assert_eq!(
        first_field("scanner_classifier", config).as_deref(),
        Some("colour")
    );
}

#[test]
fn nested_unknown_key_named() {
    let config = json!({"prompt": "q", "scale": {"min": 0, "max": 1, "step": 1}});
    assert_eq!(
        first_field("scanner_scorer", config).as_deref(),
        Some("scale.step")
    );
}

#[test]
fn unknown_key_message() {
    let config = json!({"prompt": "q", "verbose": true});
    let problems = load("scanner_monitor")
        .validate_config(&config.to_string())
        .unwrap()
        .value
        .unwrap_err();
    assert!(
        problems[0].message.contains("unknown field `verbose`"),
        "{}",
        problems[0].message
    );
}
