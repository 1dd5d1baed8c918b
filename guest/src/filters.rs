//! Filter matching: do a scanner's filters select a session?
//!
//! Filters are groups of conditions. Each group joins its conditions with `all` or `any`
//! (and may be negated); the filters join the groups the same way. Empty filters match every
//! session, and an empty group matches too. A condition on an attribute the recording does not
//! carry (device, browser, os, country) fails, because an unknown value cannot be shown to
//! be one of the listed ones. Text comparisons of URLs are case-sensitive; attribute values
//! compare case-insensitively.

use regex::{Regex, RegexBuilder};

use crate::{
    Attribute, AttributeCondition, Combine, CountCondition, CountMetric, EventCondition,
    FilterCondition, FilterGroup, Filters, MatchDecision, PropertyCondition, PropertyOp, Range,
    SessionMeta, TextOp, UrlCondition,
};

/// Compiled size limit for filter regexes, so that a pathological pattern fails to compile
/// instead of using the guest's memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Decides whether `filters` select `session`, with a reason naming the deciding condition.
pub fn evaluate(filters: &Filters, session: &SessionMeta) -> MatchDecision {
    if filters.groups.is_empty() {
        return decision(true, "no filters: every session matches".to_owned());
    }
    let outcomes: Vec<(bool, String)> = filters
        .groups
        .iter()
        .enumerate()
        .map(|(index, group)| {
            let (matched, reason) = evaluate_group(group, session);
            (matched, format!("group {}: {reason}", index + 1))
        })
        .collect();
    let (matched, reason) = combine(filters.combine, outcomes);
    decision(matched, reason)
}

fn decision(matched: bool, reason: String) -> MatchDecision {
    MatchDecision { matched, reason }
}

fn evaluate_group(group: &FilterGroup, session: &SessionMeta) -> (bool, String) {
    let outcomes = group
        .conditions
        .iter()
        .map(|condition| evaluate_condition(condition, session))
        .collect();
    let (matched, reason) = if group.conditions.is_empty() {
        (true, "empty group".to_owned())
    } else {
        combine(group.combine, outcomes)
    };
    if group.negate {
        (!matched, format!("not ({reason})"))
    } else {
        (matched, reason)
    }
}

/// Joins outcomes: the reason is the first deciding outcome (the first failure for `all`,
/// the first success for `any`), or the last one when none decides.
fn combine(combine: Combine, outcomes: Vec<(bool, String)>) -> (bool, String) {
    let deciding = match combine {
        Combine::All => false,
        Combine::Any => true,
    };
    let mut last = (!deciding, String::new());
    for outcome in outcomes {
        if outcome.0 == deciding {
            return outcome;
        }
        last = outcome;
    }
    last
}

/// Evaluates one condition, with a reason stating the session's value.
pub fn evaluate_condition(condition: &FilterCondition, session: &SessionMeta) -> (bool, String) {
    match condition {
        FilterCondition::DurationSeconds(range) => in_range(
            "duration seconds",
            session.duration_ms as f64 / 1000.0,
            range,
        ),
        FilterCondition::ActiveSeconds(range) => {
            in_range("active seconds", session.active_seconds, range)
        }
        FilterCondition::Url(url) => url_matches(url, &session.urls),
        FilterCondition::Event(event) => event_matches(event, session),
        FilterCondition::Count(count) => count_matches(count, session),
        FilterCondition::Attribute(attribute) => attribute_matches(attribute, session),
        FilterCondition::StartTimeMs(range) => {
            in_range("start time (ms)", session.start_time_ms as f64, range)
        }
    }
}

fn in_range(name: &str, value: f64, range: &Range) -> (bool, String) {
    let above_min = range.min.is_none_or(|min| value >= min);
    let below_max = range.max.is_none_or(|max| value <= max);
    let bounds = format!(
        "[{}, {}]",
        range.min.map_or("-".to_owned(), |min| min.to_string()),
        range.max.map_or("-".to_owned(), |max| max.to_string())
    );
    let verb = if above_min && below_max {
        "is within"
    } else {
        "is outside"
    };
    (
        above_min && below_max,
        format!("{name} {value} {verb} {bounds}"),
    )
}

fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| format!("invalid regex `{pattern}`: {error}"))
}

fn text_matches(op: TextOp, pattern: &str, regex: Option<&Regex>, text: &str) -> bool {
    match op {
        TextOp::Exact => text == pattern,
        TextOp::Contains => text.contains(pattern),
        TextOp::Regex => regex.is_some_and(|regex| regex.is_match(text)),
    }
}

fn url_matches(condition: &UrlCondition, urls: &[String]) -> (bool, String) {
    let regex = match condition.op {
        TextOp::Regex => match compile(&condition.value) {
            Ok(regex) => Some(regex),
            Err(reason) => return (false, reason),
        },
        _ => None,
    };
    let op = condition.op;
    let found = urls
        .iter()
        .find(|url| text_matches(op, &condition.value, regex.as_ref(), url));
    let rule = format!("{} `{}`", op_name(op), condition.value);
    match found {
        Some(url) => (true, format!("visited {url} ({rule})")),
        None => (false, format!("no URL visited matches {rule}")),
    }
}

fn op_name(op: TextOp) -> &'static str {
    match op {
        TextOp::Exact => "exact",
        TextOp::Contains => "contains",
        TextOp::Regex => "regex",
    }
}

fn event_matches(condition: &EventCondition, session: &SessionMeta) -> (bool, String) {
    let mut compiled = Vec::with_capacity(condition.properties.len());
    for property in &condition.properties {
        let regex = match property.op {
            PropertyOp::Regex => match compile(&property.value) {
                Ok(regex) => Some(regex),
                Err(reason) => return (false, reason),
            },
            _ => None,
        };
        compiled.push((property, regex));
    }
    let found = session.custom_events.iter().any(|event| {
        event.name == condition.name
            && compiled.iter().all(|(property, regex)| {
                let value = event
                    .properties
                    .iter()
                    .find(|candidate| candidate.key == property.key)
                    .map(|candidate| candidate.value.as_str());
                property_matches(property, regex.as_ref(), value)
            })
    });
    let name = &condition.name;
    if found {
        (
            true,
            format!("event `{name}` present with the required properties"),
        )
    } else {
        (
            false,
            format!("no event `{name}` with the required properties"),
        )
    }
}

fn property_matches(
    condition: &PropertyCondition,
    regex: Option<&Regex>,
    value: Option<&str>,
) -> bool {
    match (condition.op, value) {
        (PropertyOp::Exists, value) => value.is_some(),
        (PropertyOp::NotEquals, None) => true,
        (_, None) => false,
        (PropertyOp::Equals, Some(value)) => value == condition.value,
        (PropertyOp::NotEquals, Some(value)) => value != condition.value,
        (PropertyOp::Contains, Some(value)) => value.contains(&condition.value),
        (PropertyOp::Regex, Some(value)) => regex.is_some_and(|regex| regex.is_match(value)),
    }
}

fn count_matches(condition: &CountCondition, session: &SessionMeta) -> (bool, String) {
    let (name, value) = match condition.metric {
        CountMetric::Clicks => ("clicks", session.clicks),
        CountMetric::RageClicks => ("rage clicks", session.rage_clicks),
        CountMetric::DeadClicks => ("dead clicks", session.dead_clicks),
        CountMetric::ConsoleErrors => ("console errors", session.console_errors),
        CountMetric::FailedRequests => ("failed requests", session.failed_requests),
        CountMetric::Navigations => ("navigations", session.navigations),
    };
    in_range(name, f64::from(value), &condition.range)
}

fn attribute_matches(condition: &AttributeCondition, session: &SessionMeta) -> (bool, String) {
    let (name, value) = match condition.attribute {
        Attribute::DeviceType => ("device type", &session.device_type),
        Attribute::Browser => ("browser", &session.browser),
        Attribute::Os => ("os", &session.os),
        Attribute::Country => ("country", &session.country),
    };
    let Some(value) = value else {
        return (false, format!("{name} is unknown for this session"));
    };
    let listed = condition
        .values
        .iter()
        .any(|candidate| candidate.eq_ignore_ascii_case(value));
    let verb = if listed { "is" } else { "is not" };
    (
        listed,
        format!("{name} `{value}` {verb} one of {:?}", condition.values),
    )
}

#[cfg(test)]
#[path = "filters/tests.rs"]
mod tests;
