//! The filters of a scanner file, in a form written by hand, and their translation into the
//! contract's `filters` record that the scanner type's `matches` evaluates.
//!
//! ```toml
//! [filters]
//! combine = "all"                                   # how groups combine: all (default) | any
//! conditions = [                                    # shorthand for one `all` group
//!   { duration_seconds = { min = 30 } },
//!   { url = { contains = "/checkout" } },           # exact | contains | regex
//! ]
//! [[filters.groups]]
//! combine = "any"
//! negate = false
//! conditions = [
//!   { count = { metric = "rage_clicks", min = 1 } },
//!   { event = { name = "$exception" } },
//!   { event = { name = "$pageview", properties = [{ key = "$browser", equals = "Chrome" }] } },
//!   { attribute = { attribute = "country", values = ["DE", "FR"] } },
//!   { start_time = { after = "2026-01-01T00:00:00Z" } },
//! ]
//! ```

use serde::Deserialize;

use crate::runtime::{
    Attribute, AttributeCondition, Combine, CountCondition, CountMetric, EventCondition,
    FilterCondition, FilterGroup, Filters, PropertyCondition, PropertyOp, Range, TextOp,
    UrlCondition,
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FiltersSpec {
    #[serde(default)]
    combine: CombineSpec,
    #[serde(default)]
    conditions: Vec<ConditionSpec>,
    #[serde(default)]
    groups: Vec<GroupSpec>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CombineSpec {
    #[default]
    All,
    Any,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupSpec {
    #[serde(default)]
    combine: CombineSpec,
    #[serde(default)]
    negate: bool,
    conditions: Vec<ConditionSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum ConditionSpec {
    DurationSeconds(RangeSpec),
    ActiveSeconds(RangeSpec),
    Url(TextSpec),
    Event(EventSpec),
    Count(CountSpec),
    Attribute(AttributeSpec),
    StartTime(TimeRangeSpec),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeSpec {
    min: Option<f64>,
    max: Option<f64>,
}

/// Exactly one of the three comparisons.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextSpec {
    exact: Option<String>,
    contains: Option<String>,
    regex: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventSpec {
    name: String,
    #[serde(default)]
    properties: Vec<PropertySpec>,
}

/// `key` plus exactly one of the comparisons.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PropertySpec {
    key: String,
    exists: Option<bool>,
    equals: Option<String>,
    not_equals: Option<String>,
    contains: Option<String>,
    regex: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CountSpec {
    metric: String,
    min: Option<f64>,
    max: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributeSpec {
    attribute: String,
    values: Vec<String>,
}

/// RFC 3339 times.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeRangeSpec {
    after: Option<String>,
    before: Option<String>,
}

/// Translates a scanner's `filters` table into the contract's record. Errors name the
/// offending key and the values it accepts.
pub fn to_filters(filters: &serde_json::Value) -> Result<Filters, String> {
    let spec: FiltersSpec = serde_json::from_value(filters.clone())
        .map_err(|error| format!("invalid `filters`: {error}"))?;
    let mut groups = Vec::new();
    if !spec.conditions.is_empty() {
        groups.push(FilterGroup {
            combine: Combine::All,
            negate: false,
            conditions: conditions(spec.conditions)?,
        });
    }
    for group in spec.groups {
        groups.push(FilterGroup {
            combine: combine(group.combine),
            negate: group.negate,
            conditions: conditions(group.conditions)?,
        });
    }
    Ok(Filters {
        combine: combine(spec.combine),
        groups,
    })
}

fn combine(spec: CombineSpec) -> Combine {
    match spec {
        CombineSpec::All => Combine::All,
        CombineSpec::Any => Combine::Any,
    }
}

fn conditions(specs: Vec<ConditionSpec>) -> Result<Vec<FilterCondition>, String> {
    specs.into_iter().map(condition).collect()
}

fn condition(spec: ConditionSpec) -> Result<FilterCondition, String> {
    Ok(match spec {
        ConditionSpec::DurationSeconds(range) => FilterCondition::DurationSeconds(to_range(range)),
        ConditionSpec::ActiveSeconds(range) => FilterCondition::ActiveSeconds(to_range(range)),
        ConditionSpec::Url(text) => {
            let (op, value) = text_op(text, "url")?;
            FilterCondition::Url(UrlCondition { op, value })
        }
        ConditionSpec::Event(event) => FilterCondition::Event(EventCondition {
            name: event.name,
            properties: event
                .properties
                .into_iter()
                .map(property)
                .collect::<Result<_, _>>()?,
        }),
        ConditionSpec::Count(count) => FilterCondition::Count(CountCondition {
            metric: metric(&count.metric)?,
            range: Range {
                min: count.min,
                max: count.max,
            },
        }),
        ConditionSpec::Attribute(attribute) => FilterCondition::Attribute(AttributeCondition {
            attribute: attribute_name(&attribute.attribute)?,
            values: attribute.values,
        }),
        ConditionSpec::StartTime(times) => FilterCondition::StartTimeMs(Range {
            min: times.after.as_deref().map(epoch_ms).transpose()?,
            max: times.before.as_deref().map(epoch_ms).transpose()?,
        }),
    })
}

fn to_range(spec: RangeSpec) -> Range {
    Range {
        min: spec.min,
        max: spec.max,
    }
}

fn text_op(spec: TextSpec, key: &str) -> Result<(TextOp, String), String> {
    match (spec.exact, spec.contains, spec.regex) {
        (Some(value), None, None) => Ok((TextOp::Exact, value)),
        (None, Some(value), None) => Ok((TextOp::Contains, value)),
        (None, None, Some(value)) => {
            check_regex(&value, key)?;
            Ok((TextOp::Regex, value))
        }
        _ => Err(format!(
            "`{key}` needs exactly one of `exact`, `contains` or `regex`"
        )),
    }
}

fn property(spec: PropertySpec) -> Result<PropertyCondition, String> {
    let comparisons = [
        spec.exists
            .filter(|exists| *exists)
            .map(|_| (PropertyOp::Exists, String::new())),
        spec.equals.map(|value| (PropertyOp::Equals, value)),
        spec.not_equals.map(|value| (PropertyOp::NotEquals, value)),
        spec.contains.map(|value| (PropertyOp::Contains, value)),
        spec.regex.map(|value| (PropertyOp::Regex, value)),
    ];
    for (op, value) in comparisons.iter().flatten() {
        if *op == PropertyOp::Regex {
            check_regex(value, &format!("property `{}`", spec.key))?;
        }
    }
    let mut chosen = comparisons.into_iter().flatten();
    match (chosen.next(), chosen.next()) {
        (Some((op, value)), None) => Ok(PropertyCondition {
            key: spec.key,
            op,
            value,
        }),
        _ => Err(format!(
            "property `{}` needs exactly one of `exists = true`, `equals`, `not_equals`, \
             `contains` or `regex`",
            spec.key
        )),
    }
}

/// Rejects a pattern the scanner type's regex engine (the `regex` crate, as here) cannot
/// compile, so a typo fails validation instead of silently matching nothing.
fn check_regex(pattern: &str, key: &str) -> Result<(), String> {
    regex::Regex::new(pattern)
        .map(|_| ())
        .map_err(|error| format!("`{key}` has an invalid regex {pattern:?}: {error}"))
}

fn metric(name: &str) -> Result<CountMetric, String> {
    Ok(match name {
        "clicks" => CountMetric::Clicks,
        "rage_clicks" => CountMetric::RageClicks,
        "dead_clicks" => CountMetric::DeadClicks,
        "console_errors" => CountMetric::ConsoleErrors,
        "failed_requests" => CountMetric::FailedRequests,
        "navigations" => CountMetric::Navigations,
        other => {
            return Err(format!(
                "invalid count metric {other:?}; expected clicks, rage_clicks, dead_clicks, \
                 console_errors, failed_requests or navigations"
            ))
        }
    })
}

fn attribute_name(name: &str) -> Result<Attribute, String> {
    Ok(match name {
        "device_type" => Attribute::DeviceType,
        "browser" => Attribute::Browser,
        "os" => Attribute::Os,
        "country" => Attribute::Country,
        other => {
            return Err(format!(
                "invalid attribute {other:?}; expected device_type, browser, os or country"
            ))
        }
    })
}

fn epoch_ms(text: &str) -> Result<f64, String> {
    let parsed = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|error| format!("invalid time {text:?} (expected RFC 3339): {error}"))?;
    Ok((parsed.unix_timestamp_nanos() / 1_000_000) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Filters, String> {
        let table: toml::Table = toml::from_str(text).unwrap();
        let json = serde_json::to_value(&table["filters"]).unwrap();
        to_filters(&json)
    }

    #[test]
    fn empty_filters_have_no_groups() {
        let filters = parse("[filters]\n").unwrap();
        assert!(filters.groups.is_empty());
    }

    #[test]
    fn shorthand_becomes_all_group() {
        let filters = parse(
            "[filters]\nconditions = [{ duration_seconds = { min = 30 } }, \
             { url = { contains = \"/checkout\" } }]\n",
        )
        .unwrap();
        assert_eq!(filters.groups.len(), 1);
        assert_eq!(filters.groups[0].conditions.len(), 2);
        let FilterCondition::Url(url) = &filters.groups[0].conditions[1] else {
            panic!("expected a url condition");
        };
        assert_eq!(url.op, TextOp::Contains);
    }

    #[test]
    fn groups_keep_combine_and_negate() {
        let filters = parse(
            "[filters]\ncombine = \"any\"\n[[filters.groups]]\ncombine = \"any\"\nnegate = true\n\
             conditions = [{ count = { metric = \"rage_clicks\", min = 1 } }, \
             { start_time = { after = \"2026-01-01T00:00:00Z\" } }]\n",
        )
        .unwrap();
        assert_eq!(filters.combine, Combine::Any);
        assert!(filters.groups[0].negate);
        let FilterCondition::StartTimeMs(range) = &filters.groups[0].conditions[1] else {
            panic!("expected a start time condition");
        };
        assert_eq!(range.min, Some(1_767_225_600_000.0));
    }

    #[test]
    fn unknown_metric_names_choices() {
        let error =
            parse("[filters]\nconditions = [{ count = { metric = \"taps\" } }]\n").unwrap_err();
        assert!(error.contains("rage_clicks"), "{error}");
    }

    #[test]
    fn invalid_regex_rejected() {
        let error =
            parse("[filters]\nconditions = [{ url = { regex = \"(unclosed[\" } }]\n").unwrap_err();
        assert!(error.contains("invalid regex"), "{error}");
    }

    #[test]
    fn invalid_property_regex_rejected() {
        let error = parse(
            "[filters]\nconditions = [{ event = { name = \"$pageview\", properties = \
             [{ key = \"$browser\", regex = \"[\" }] } }]\n",
        )
        .unwrap_err();
        assert!(error.contains("$browser"), "{error}");
    }

    #[test]
    fn two_url_ops_rejected() {
        let error =
            parse("[filters]\nconditions = [{ url = { exact = \"a\", contains = \"b\" } }]\n")
                .unwrap_err();
        assert!(error.contains("exactly one"), "{error}");
    }
}
