//! The `$recording_observed` event of a succeeded observation, with PostHog's property names so
//! that queries written for PostHog's own events keep working.

use serde_json::{Map, Value};

use crate::scanner::ScannerDefinition;
use crate::store::{now_ms, outbox::format_rfc3339, OutboundEvent, Trigger};

/// The event name.
pub const RECORDING_OBSERVED: &str = "$recording_observed";

/// The `distinct_id` of events that no person triggered (scheduled runs).
pub const SYSTEM_DISTINCT_ID: &str = "replay-vision";

/// The ids and names an observation's event reports.
#[derive(Debug, Clone)]
pub struct EventContext<'a> {
    pub observation_id: &'a str,
    pub session_id: &'a str,
    pub scanner: &'a ScannerDefinition,
    pub scanner_version: i64,
    pub trigger: Trigger,
    pub triggered_by_user_id: Option<&'a str>,
    pub provider: &'a str,
    pub model: &'a str,
}

/// Builds the event. Every field of `output` becomes `scanner_output_<field>`: strings, numbers
/// and booleans as they are, arrays and objects as JSON strings (PostHog stores nested values
/// as text), and each cited field's segments as `scanner_output_<field>_segments`.
pub fn recording_observed(
    context: &EventContext<'_>,
    output: &Value,
    segments: &Value,
) -> OutboundEvent {
    let mut properties = Map::new();
    let mut put = |key: &str, value: Value| {
        properties.insert(key.to_string(), value);
    };
    put("$insert_id", context.observation_id.into());
    put("$process_person_profile", false.into());
    put("event_source", "replay_vision".into());
    put("scanner_name", context.scanner.name.as_str().into());
    put("scanner_id", context.scanner.id().into());
    put("scanner_type", context.scanner.scanner_type.as_str().into());
    put("scanner_version", context.scanner_version.into());
    put("session_id", context.session_id.into());
    put("triggered_by", context.trigger.as_str().into());
    put(
        "triggered_by_user_id",
        context
            .triggered_by_user_id
            .map_or(Value::Null, Value::from),
    );
    put("model_used", context.model.into());
    put("provider_used", context.provider.into());
    if let Value::Object(fields) = output {
        for (field, value) in fields {
            put(&format!("scanner_output_{field}"), flatten(value));
        }
    }
    if let Value::Object(cited) = segments {
        for (field, value) in cited {
            put(&format!("scanner_output_{field}_segments"), flatten(value));
        }
    }
    OutboundEvent {
        uuid: context.observation_id.to_string(),
        event: RECORDING_OBSERVED.to_string(),
        distinct_id: context
            .triggered_by_user_id
            .unwrap_or(SYSTEM_DISTINCT_ID)
            .to_string(),
        timestamp: format_rfc3339(now_ms()),
        properties,
    }
}

fn flatten(value: &Value) -> Value {
    match value {
        Value::Array(_) | Value::Object(_) => Value::String(value.to_string()),
        scalar => scalar.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner() -> ScannerDefinition {
        ScannerDefinition::from_toml(
            "name = \"Dead ends\"\ntype = \"monitor\"\n[config]\nprompt = \"p\"\n",
            "t.toml",
        )
        .unwrap()
    }

    #[test]
    fn output_fields_are_flattened() {
        let scanner = scanner();
        let context = EventContext {
            observation_id: "obs-1",
            session_id: "s-1",
            scanner: &scanner,
            scanner_version: 3,
            trigger: Trigger::OnDemand,
            triggered_by_user_id: Some("u-7"),
            provider: "gemini",
            model: "gemini-3-flash-preview",
        };
        let output = serde_json::json!({"verdict": "yes", "tags": ["a", "b"], "confidence": 0.8});
        let segments = serde_json::json!({"reasoning": [{"kind": "chip", "timestamp_ms": 1000}]});
        let event = recording_observed(&context, &output, &segments);
        let properties = &event.properties;
        assert_eq!(event.uuid, "obs-1");
        assert_eq!(properties["$insert_id"], "obs-1");
        assert_eq!(event.distinct_id, "u-7");
        assert_eq!(properties["scanner_id"], "dead-ends");
        assert_eq!(properties["scanner_version"], 3);
        assert_eq!(properties["triggered_by"], "on_demand");
        assert_eq!(properties["scanner_output_verdict"], "yes");
        assert_eq!(properties["scanner_output_tags"], "[\"a\",\"b\"]");
        assert_eq!(properties["scanner_output_confidence"], 0.8);
        assert_eq!(
            properties["scanner_output_reasoning_segments"],
            "[{\"kind\":\"chip\",\"timestamp_ms\":1000}]"
        );
    }
}
