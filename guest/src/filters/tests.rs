use super::*;
use crate::testing::{no_filters, sample_session};
use crate::{EventCondition, PropertyCondition};

fn only(condition: FilterCondition) -> Filters {
    Filters {
        combine: Combine::All,
        groups: vec![FilterGroup {
            combine: Combine::All,
            negate: false,
            conditions: vec![condition],
        }],
    }
}

fn matched(condition: FilterCondition) -> bool {
    evaluate(&only(condition), &sample_session()).matched
}

fn range(min: Option<f64>, max: Option<f64>) -> Range {
    Range { min, max }
}

fn url(op: TextOp, value: &str) -> FilterCondition {
    FilterCondition::Url(UrlCondition {
        op,
        value: value.to_owned(),
    })
}

fn event(name: &str, properties: Vec<PropertyCondition>) -> FilterCondition {
    FilterCondition::Event(EventCondition {
        name: name.to_owned(),
        properties,
    })
}

fn property(key: &str, op: PropertyOp, value: &str) -> PropertyCondition {
    PropertyCondition {
        key: key.to_owned(),
        op,
        value: value.to_owned(),
    }
}

fn attribute(attribute: Attribute, values: &[&str]) -> FilterCondition {
    FilterCondition::Attribute(AttributeCondition {
        attribute,
        values: values.iter().map(|value| value.to_string()).collect(),
    })
}

#[test]
fn empty_filters_match() {
    assert!(evaluate(&no_filters(), &sample_session()).matched);
}

#[test]
fn duration_within() {
    assert!(matched(FilterCondition::DurationSeconds(range(
        Some(90.0),
        None
    ))));
}

#[test]
fn duration_below_min() {
    assert!(!matched(FilterCondition::DurationSeconds(range(
        Some(96.0),
        None
    ))));
}

#[test]
fn active_above_max() {
    assert!(!matched(FilterCondition::ActiveSeconds(range(
        None,
        Some(61.0)
    ))));
}

#[test]
fn url_exact() {
    assert!(matched(url(TextOp::Exact, "https://shop.example/cart")));
}

#[test]
fn url_exact_is_whole() {
    assert!(!matched(url(TextOp::Exact, "https://shop.example/car")));
}

#[test]
fn url_contains() {
    assert!(matched(url(TextOp::Contains, "/checkout")));
}

#[test]
fn url_regex() {
    assert!(matched(url(TextOp::Regex, r"step=pay\w+$")));
}

#[test]
fn url_invalid_regex_reason() {
    let decision = evaluate(&only(url(TextOp::Regex, "(")), &sample_session());
    assert!(decision.reason.contains("invalid regex"));
}

#[test]
fn event_present() {
    assert!(matched(event("checkout_started", Vec::new())));
}

#[test]
fn event_absent() {
    assert!(!matched(event("signed_up", Vec::new())));
}

#[test]
fn event_property_equals() {
    assert!(matched(event(
        "checkout_started",
        vec![property("plan", PropertyOp::Equals, "pro")]
    )));
}

#[test]
fn event_property_mismatch() {
    assert!(!matched(event(
        "checkout_started",
        vec![property("plan", PropertyOp::Equals, "free")]
    )));
}

#[test]
fn event_property_exists() {
    assert!(matched(event(
        "checkout_started",
        vec![property("items", PropertyOp::Exists, "")]
    )));
}

#[test]
fn event_property_not_equals_missing() {
    assert!(matched(event(
        "checkout_started",
        vec![property("coupon", PropertyOp::NotEquals, "X")]
    )));
}

#[test]
fn event_property_regex() {
    assert!(matched(event(
        "checkout_started",
        vec![property("items", PropertyOp::Regex, r"^\d+$")]
    )));
}

#[test]
fn rage_clicks_at_least() {
    let count = CountCondition {
        metric: CountMetric::RageClicks,
        range: range(Some(1.0), None),
    };
    assert!(matched(FilterCondition::Count(count)));
}

#[test]
fn console_errors_none() {
    let count = CountCondition {
        metric: CountMetric::ConsoleErrors,
        range: range(None, Some(0.0)),
    };
    assert!(!matched(FilterCondition::Count(count)));
}

#[test]
fn country_case_insensitive() {
    assert!(matched(attribute(Attribute::Country, &["de", "fr"])));
}

#[test]
fn browser_not_listed() {
    assert!(!matched(attribute(Attribute::Browser, &["Firefox"])));
}

#[test]
fn unknown_attribute_fails() {
    let mut session = sample_session();
    session.device_type = None;
    let filters = only(attribute(Attribute::DeviceType, &["desktop"]));
    assert!(!evaluate(&filters, &session).matched);
}

#[test]
fn unknown_attribute_reason() {
    let mut session = sample_session();
    session.country = None;
    let decision = evaluate(&only(attribute(Attribute::Country, &["DE"])), &session);
    assert_eq!(
        decision.reason,
        "group 1: country is unknown for this session"
    );
}

#[test]
fn date_range_after_start() {
    let start = sample_session().start_time_ms as f64;
    assert!(!matched(FilterCondition::StartTimeMs(range(
        Some(start + 1.0),
        None
    ))));
}

#[test]
fn any_group_one_true() {
    let filters = Filters {
        combine: Combine::All,
        groups: vec![FilterGroup {
            combine: Combine::Any,
            negate: false,
            conditions: vec![
                url(TextOp::Contains, "/nowhere"),
                url(TextOp::Contains, "/cart"),
            ],
        }],
    };
    assert!(evaluate(&filters, &sample_session()).matched);
}

#[test]
fn all_group_one_false() {
    let filters = Filters {
        combine: Combine::All,
        groups: vec![FilterGroup {
            combine: Combine::All,
            negate: false,
            conditions: vec![
                url(TextOp::Contains, "/nowhere"),
                url(TextOp::Contains, "/cart"),
            ],
        }],
    };
    assert!(!evaluate(&filters, &sample_session()).matched);
}

#[test]
fn all_group_reason_names_failure() {
    let filters = Filters {
        combine: Combine::All,
        groups: vec![FilterGroup {
            combine: Combine::All,
            negate: false,
            conditions: vec![
                url(TextOp::Contains, "/cart"),
                url(TextOp::Contains, "/nowhere"),
            ],
        }],
    };
    let decision = evaluate(&filters, &sample_session());
    assert_eq!(
        decision.reason,
        "group 1: no URL visited matches contains `/nowhere`"
    );
}

#[test]
fn negated_group() {
    let filters = Filters {
        combine: Combine::All,
        groups: vec![FilterGroup {
            combine: Combine::All,
            negate: true,
            conditions: vec![url(TextOp::Contains, "/cart")],
        }],
    };
    assert!(!evaluate(&filters, &sample_session()).matched);
}

#[test]
fn any_of_groups() {
    let failing = FilterGroup {
        combine: Combine::All,
        negate: false,
        conditions: vec![url(TextOp::Contains, "/nowhere")],
    };
    let passing = FilterGroup {
        combine: Combine::All,
        negate: false,
        conditions: vec![url(TextOp::Contains, "/cart")],
    };
    let filters = Filters {
        combine: Combine::Any,
        groups: vec![failing, passing],
    };
    assert!(evaluate(&filters, &sample_session()).matched);
}
