//! Every built-in type runs its cases natively (through the SDK harness) and on the
//! compiled component, and the two results must be identical.

use replay_vision::runtime as host;
use replay_vision_guest::testing::{self, Harness};
use replay_vision_guest::{self as sdk, Scanner};
use serde_json::{json, Value};

use crate::support::{convert, load, shape};

/// Inputs for one type: configs (valid and invalid), filters and raw answers per step.
struct Cases {
    file: &'static str,
    configs: Vec<Value>,
    answers: Vec<(&'static str, &'static str)>,
}

fn filters() -> Vec<sdk::Filters> {
    let url = |op, value: &str| {
        sdk::FilterCondition::Url(sdk::UrlCondition {
            op,
            value: value.to_owned(),
        })
    };
    let group = |combine, conditions| sdk::FilterGroup {
        combine,
        negate: false,
        conditions,
    };
    vec![
        testing::no_filters(),
        sdk::Filters {
            combine: sdk::Combine::All,
            groups: vec![group(
                sdk::Combine::Any,
                vec![
                    url(sdk::TextOp::Regex, "/checkout"),
                    url(sdk::TextOp::Exact, "x"),
                ],
            )],
        },
        sdk::Filters {
            combine: sdk::Combine::Any,
            groups: vec![group(
                sdk::Combine::All,
                vec![url(sdk::TextOp::Contains, "/nowhere")],
            )],
        },
    ]
}

/// Runs every case both ways and compares the serde shapes of the results.
fn assert_parity<S: Scanner>(cases: &Cases) {
    let component = load(cases.file);
    assert_eq!(
        shape(&Harness::<S>::describe()),
        shape(&component.describe().unwrap().value),
        "describe"
    );
    for filters in filters() {
        let native = Harness::<S>::matches(&filters, &testing::sample_session());
        let hosted = component
            .matches(&convert(&filters), &convert(&testing::sample_session()))
            .unwrap();
        assert_eq!(shape(&native), shape(&hosted.value), "matches {filters:?}");
    }
    for config in &cases.configs {
        assert_config_parity::<S>(&component, config, &cases.answers);
    }
}

fn assert_config_parity<S: Scanner>(
    component: &host::ScannerType,
    config: &Value,
    answers: &[(&str, &str)],
) {
    let text = config.to_string();
    let native = Harness::<S>::validate_config(config);
    let hosted = component.validate_config(&text).unwrap().value;
    assert_eq!(shape(&native), shape(&hosted), "validate-config {config}");

    let native = Harness::<S>::steps(config);
    let hosted = component.steps(&text).unwrap().value;
    assert_eq!(shape(&native), shape(&hosted), "steps {config}");

    for step in ["answer", "summary", "facets", "nonexistent"] {
        let input = testing::prompt_input(config, step, Vec::new());
        let native = Harness::<S>::build_prompt_with(input.clone());
        let hosted = component.build_prompt(&convert(&input)).unwrap().value;
        assert_eq!(
            shape(&native),
            shape(&hosted),
            "build-prompt {step} {config}"
        );
    }
    for (step, raw) in answers {
        let native = Harness::<S>::parse_output(config, step, raw);
        let hosted = component.parse_output(&text, step, raw).unwrap().value;
        assert_eq!(
            shape(&native),
            shape(&hosted),
            "parse-output {step} {raw} {config}"
        );
    }
}

#[test]
fn monitor_parity() {
    assert_parity::<scanner_monitor::Monitor>(&Cases {
        file: "scanner_monitor",
        configs: vec![
            json!({"prompt": "Did the payment fail?"}),
            json!({"prompt": "Did the payment fail?", "allow_inconclusive": true}),
            json!({"allow_inconclusive": true}),
            json!({"prompt": "q", "verbose": true}),
        ],
        answers: vec![
            (
                "answer",
                r#"{"reasoning":"Pay failed (t 31).","verdict":"yes","confidence":0.87}"#,
            ),
            (
                "answer",
                r#"{"reasoning":"Unclear (01:02).","verdict":"inconclusive","confidence":0.2}"#,
            ),
            (
                "answer",
                "```json\n{\"reasoning\":\"No.\",\"verdict\":\"no\",\"confidence\":0.5}\n```",
            ),
            ("answer", "The verdict is yes."),
            (
                "answer",
                r#"{"reasoning":"x","verdict":"yes","confidence":3}"#,
            ),
        ],
    });
}

#[test]
fn classifier_parity() {
    assert_parity::<scanner_classifier::Classifier>(&Cases {
        file: "scanner_classifier",
        configs: vec![
            json!({"prompt": "Intent?", "tags": ["browsing", "purchasing", "support"]}),
            json!({"prompt": "Intent?", "tags": ["browsing", "purchasing"], "multi_label": false,
                   "allow_freeform_tags": true}),
            json!({"prompt": "Intent?", "tags": []}),
            json!({"prompt": "Intent?", "tags": ["Sign up", "sign_up"]}),
        ],
        answers: vec![
            (
                "answer",
                r#"{"reasoning":"Paid (t 31).","tags":["purchasing"],"confidence":0.7}"#,
            ),
            (
                "answer",
                r#"{"reasoning":"r","tags":["Browsing","purchasing"],"tags_freeform":["Price Check"],"confidence":0.4}"#,
            ),
            (
                "answer",
                r#"{"reasoning":"r","tags":["shopping"],"confidence":0.4}"#,
            ),
            ("answer", r#"{"reasoning":"r","tags":[],"confidence":0.4}"#),
        ],
    });
}

#[test]
fn scorer_parity() {
    assert_parity::<scanner_scorer::Scorer>(&Cases {
        file: "scanner_scorer",
        configs: vec![
            json!({"prompt": "Frustration?", "scale": {"min": 0, "max": 10, "label": "frustration"}}),
            json!({"prompt": "Frustration?"}),
            json!({"prompt": "Frustration?", "scale": {"min": 5, "max": 1}}),
            json!({"prompt": "Frustration?", "scale": {"min": 0, "max": 10, "step": 1}}),
        ],
        answers: vec![
            (
                "answer",
                r#"{"reasoning":"Rage (t 33).","score":7,"confidence":0.6}"#,
            ),
            (
                "answer",
                r#"{"reasoning":"Calm.","score":2.5,"confidence":0.9}"#,
            ),
            ("answer", r#"{"reasoning":"r","score":11,"confidence":0.6}"#),
            (
                "answer",
                r#"{"reasoning":"r","score":"high","confidence":0.6}"#,
            ),
        ],
    });
}

#[test]
fn summarizer_parity() {
    assert_parity::<scanner_summarizer::Summarizer>(&Cases {
        file: "scanner_summarizer",
        configs: vec![
            json!({"prompt": "Mention pages and errors.", "length": "long"}),
            json!({"prompt": "Mention pages and errors."}),
            json!({"prompt": "Mention pages.", "length": "huge"}),
        ],
        answers: vec![
            (
                "summary",
                r#"{"title":"Failed checkout","summary":"Paid (t 31).","confidence":0.8}"#,
            ),
            ("summary", r#"{"summary":"No title.","confidence":0.8}"#),
            (
                "facets",
                r#"{"intent":"Buy.","outcome":"Failed.","friction_points":["Payment Error"],"keywords":["a","b","c","d","e"],"confidence":0.7}"#,
            ),
            (
                "facets",
                r#"{"intent":"Buy.","outcome":"Failed.","friction_points":[],"keywords":["a"],"confidence":0.7}"#,
            ),
        ],
    });
}

#[test]
fn summarizer_facets_prompt_parity() {
    let config = json!({"prompt": "Mention pages and errors."});
    let previous = vec![sdk::StepOutput {
        step: "summary".to_owned(),
        output: json!({"summary": "The user failed to pay."}).to_string(),
    }];
    let input = testing::prompt_input(&config, "facets", previous);
    let native = Harness::<scanner_summarizer::Summarizer>::build_prompt_with(input.clone());
    let hosted = load("scanner_summarizer")
        .build_prompt(&convert(&input))
        .unwrap()
        .value;
    assert_eq!(shape(&native), shape(&hosted));
}

#[test]
fn checklist_parity() {
    let questions = json!([
        {"id": "reached_cart", "question": "Did the user open the cart?"},
        {"id": "paid", "question": "Did the payment succeed?"},
    ]);
    assert_parity::<scanner_checklist::Checklist>(&Cases {
        file: "scanner_checklist",
        configs: vec![
            json!({"prompt": "A shop's checkout.", "questions": questions}),
            json!({"prompt": "A shop's checkout.", "questions": []}),
            json!({"prompt": "A shop's checkout.", "questions": [{"id": "Paid?", "question": "x"}]}),
        ],
        answers: vec![
            (
                "answer",
                r#"{"reasoning":"Cart (t 4).","reached_cart":"yes","paid":"no","confidence":0.8}"#,
            ),
            (
                "answer",
                r#"{"reasoning":"r","reached_cart":"yes","confidence":0.8}"#,
            ),
        ],
    });
}

#[test]
fn monitor_output_through_host() {
    let component = load("scanner_monitor");
    let raw = r#"{"reasoning":"Pay failed (t 31).","verdict":"yes","confidence":0.8}"#;
    let parsed = component
        .parse_output(r#"{"prompt":"Did it fail?"}"#, "answer", raw)
        .unwrap()
        .value
        .unwrap();
    let output: Value = serde_json::from_str(&parsed.output).unwrap();
    assert_eq!(output["verdict"], "yes");
}

#[test]
fn monitor_citation_through_host() {
    let component = load("scanner_monitor");
    let raw = r#"{"reasoning":"Pay failed (t 31).","verdict":"yes","confidence":0.8}"#;
    let parsed = component
        .parse_output(r#"{"prompt":"Did it fail?"}"#, "answer", raw)
        .unwrap()
        .value
        .unwrap();
    let chip = host::Segment::Chip(host::Citation {
        time_ms: 31_000,
        base: host::TimeBase::Session,
    });
    assert_eq!(parsed.citations[0].segments[1], chip);
}

#[test]
fn fuel_reported() {
    let component = load("scanner_monitor");
    let metered = component.describe().unwrap();
    assert!(metered.fuel > 0);
}
