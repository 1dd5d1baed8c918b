//! Custom events (PostHog's `$pageview`, `$autocapture`, `$exception`, ...) and plugin events
//! (rrweb's console and network plugins).

use serde::Deserialize;
use serde_json::Value;

use super::Walker;
use crate::recording::analysis::mirror::collapse_whitespace;
use crate::recording::analysis::LogKind;

/// Custom tags the recorder writes about its own state, which tell nothing about the user.
const INTERNAL_TAGS: [&str; 12] = [
    "$session_options",
    "$remote_config_received",
    "$posthog_config",
    "$session_id_change",
    "$session_starting",
    "$session_ending",
    "$recording_started",
    "sessionIdle",
    "sessionNoLongerIdle",
    "chrome-extension-stripped",
    "recording paused",
    "recording resumed",
];

#[derive(Deserialize)]
struct Custom {
    tag: Option<String>,
    #[serde(default)]
    payload: Value,
}

#[derive(Deserialize)]
struct Plugin {
    plugin: Option<String>,
    #[serde(default)]
    payload: Value,
}

impl Walker<'_> {
    pub(in crate::recording::analysis) fn custom(&mut self, window: usize, at: i64, data: &str) {
        let custom: Custom = match serde_json::from_str(data) {
            Ok(custom) => custom,
            Err(error) => {
                tracing::debug!(window, at, %error, "skipped a Custom event");
                return;
            }
        };
        let tag = custom.tag.unwrap_or_default();
        self.read_properties(&custom.payload);
        if INTERNAL_TAGS.contains(&tag.as_str()) {
            return;
        }
        if matches!(tag.as_str(), "$pageview" | "$url_changed") {
            if let Some(href) = string_at(&custom.payload, &["href", "$current_url"]) {
                self.navigate(window, at, href.to_owned());
            }
        }
        let detail = match tag.as_str() {
            "$exception" => exception_detail(&custom.payload, self.options.max_text_chars),
            _ => tag.clone(),
        };
        self.push(window, at, LogKind::CustomEvent, None, Some(detail));
    }

    /// Keeps device, browser, OS and country from PostHog properties, at the top level of the
    /// payload or under `properties`.
    fn read_properties(&mut self, payload: &Value) {
        let scopes = [Some(payload), payload.get("properties")];
        for scope in scopes.into_iter().flatten() {
            let metadata = &mut self.out.metadata;
            let fields = [
                ("$device_type", &mut metadata.device_type),
                ("$browser", &mut metadata.browser),
                ("$os", &mut metadata.os),
                ("$geoip_country_code", &mut metadata.country),
            ];
            for (key, slot) in fields {
                if slot.is_none() {
                    *slot = scope.get(key).and_then(Value::as_str).map(str::to_owned);
                }
            }
        }
    }

    pub(in crate::recording::analysis) fn plugin(&mut self, window: usize, at: i64, data: &str) {
        let plugin: Plugin = match serde_json::from_str(data) {
            Ok(plugin) => plugin,
            Err(error) => {
                tracing::debug!(window, at, %error, "skipped a Plugin event");
                return;
            }
        };
        match plugin.plugin.as_deref() {
            Some("rrweb/console@1") => self.console(window, at, &plugin.payload),
            Some("rrweb/network@1") => self.network(window, at, &plugin.payload),
            _ => {}
        }
    }

    fn console(&mut self, window: usize, at: i64, payload: &Value) {
        let kind = match payload.get("level").and_then(Value::as_str) {
            Some("error" | "assert") => LogKind::ConsoleError,
            Some("warn") => LogKind::ConsoleWarn,
            _ => return,
        };
        // The plugin stores each argument JSON-encoded, so a string argument keeps its quotes.
        let message = payload
            .get("payload")
            .and_then(Value::as_array)
            .map(|parts| {
                parts
                    .iter()
                    .map(|part| match part.as_str() {
                        Some(text) => {
                            serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_owned())
                        }
                        None => part.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let detail = collapse_whitespace(&message, self.options.max_text_chars * 2);
        self.push(window, at, kind, None, Some(detail));
    }

    /// Logs every request with status >= 400, or marked failed, of a network plugin event.
    fn network(&mut self, window: usize, at: i64, payload: &Value) {
        let Some(requests) = payload.get("requests").and_then(Value::as_array) else {
            return;
        };
        for request in requests {
            let status = ["responseStatus", "status"]
                .iter()
                .find_map(|key| request.get(*key).and_then(Value::as_u64));
            let failed_flag = ["error", "failed"]
                .iter()
                .any(|key| request.get(*key).is_some_and(truthy));
            if !(status.is_some_and(|status| status >= 400) || failed_flag) {
                continue;
            }
            let method = string_at(request, &["method"]).unwrap_or("GET");
            let url = string_at(request, &["name", "url"]).unwrap_or("(unknown URL)");
            let outcome = match status {
                Some(status) if status > 0 => status.to_string(),
                _ => "network error".to_owned(),
            };
            let url = collapse_whitespace(url, self.options.max_text_chars * 2);
            self.push(
                window,
                at,
                LogKind::FailedRequest,
                None,
                Some(format!("{method} {url} -> {outcome}")),
            );
        }
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::String(text) => !text.is_empty(),
        _ => true,
    }
}

fn string_at<'v>(value: &'v Value, keys: &[&str]) -> Option<&'v str> {
    keys.iter()
        .find_map(|key| value.get(*key).and_then(Value::as_str))
}

fn exception_detail(payload: &Value, max_chars: usize) -> String {
    let scope = payload.get("properties").unwrap_or(payload);
    let kind = string_at(scope, &["$exception_type"]);
    let message = string_at(scope, &["$exception_message"]).or_else(|| {
        scope
            .get("$exception_list")
            .and_then(|list| list.get(0))
            .and_then(|first| first.get("value"))
            .and_then(Value::as_str)
    });
    let text = match (kind, message) {
        (Some(kind), Some(message)) => format!("$exception {kind}: {message}"),
        (None, Some(message)) => format!("$exception {message}"),
        (Some(kind), None) => format!("$exception {kind}"),
        (None, None) => "$exception".to_owned(),
    };
    collapse_whitespace(&text, max_chars * 2)
}
