//! Reading a `generateContent` reply: the answer text from the first candidate, the finish and
//! block reasons that make it a rejection, and `usageMetadata`.

use serde_json::Value;

use crate::provider::{Answer, Cause, ErrorKind, ModalityTokens, ProviderError, Usage};

/// Finish reasons after which the answer was withheld or cut for policy reasons.
const SAFETY_FINISH: &[&str] = &[
    "SAFETY",
    "RECITATION",
    "LANGUAGE",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
];

/// Turns a 200 reply into an answer, or a rejection for a blocked prompt, a safety finish or a
/// reply without text. `MAX_TOKENS` and unknown finish reasons still return the text, with the
/// reason in `finish_reason`, so the caller can validate the (possibly truncated) JSON.
pub(super) fn parse(reply: &Value) -> Result<Answer, ProviderError> {
    if let Some(reason) = reply
        .pointer("/promptFeedback/blockReason")
        .and_then(Value::as_str)
    {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            Cause::Blocked(reason.to_string()),
            format!("the prompt was blocked ({reason})"),
        )
        .with_status(200));
    }
    let candidate = reply.pointer("/candidates/0");
    let finish_reason = candidate
        .and_then(|c| c.get("finishReason"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(reason) = finish_reason.as_deref() {
        if SAFETY_FINISH.contains(&reason) {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                Cause::Safety(reason.to_string()),
                format!("the answer was stopped ({reason})"),
            )
            .with_status(200));
        }
    }
    let text = candidate.map(answer_text).unwrap_or_default();
    if text.is_empty() {
        let reason = finish_reason.as_deref().unwrap_or("no candidates");
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            Cause::EmptyAnswer,
            format!("the reply has no answer text (finish reason {reason})"),
        )
        .with_status(200));
    }
    Ok(Answer {
        text,
        finish_reason,
        usage: usage(reply.get("usageMetadata")),
        cost_usd: None,
        model_version: reply
            .get("modelVersion")
            .and_then(Value::as_str)
            .map(str::to_string),
        attempts: 1,
    })
}

/// Concatenates the text parts that are not thought summaries.
fn answer_text(candidate: &Value) -> String {
    candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|part| part.get("thought").and_then(Value::as_bool) != Some(true))
        .filter_map(|part| part.get("text").and_then(Value::as_str))
        .collect()
}

fn usage(metadata: Option<&Value>) -> Usage {
    let Some(metadata) = metadata else {
        return Usage::default();
    };
    let count = |field: &str| metadata.get(field).and_then(Value::as_u64).unwrap_or(0);
    let input_tokens = count("promptTokenCount");
    // Thinking tokens are billed as output.
    let output_tokens = count("candidatesTokenCount") + count("thoughtsTokenCount");
    let total = count("totalTokenCount");
    let input_by_modality = metadata
        .get("promptTokensDetails")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|detail| {
            Some(ModalityTokens {
                modality: detail.get("modality")?.as_str()?.to_string(),
                tokens: detail
                    .get("tokenCount")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            })
        })
        .collect();
    Usage {
        input_tokens,
        output_tokens,
        total_tokens: if total > 0 {
            total
        } else {
            input_tokens + output_tokens
        },
        input_by_modality,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_skips_thoughts() {
        let reply = json!({"candidates": [{"content": {"parts": [
            {"text": "thinking", "thought": true}, {"text": "{\"a\":1}"}]}, "finishReason": "STOP"}]});
        assert_eq!(parse(&reply).unwrap().text, "{\"a\":1}");
    }

    #[test]
    fn parse_blocked_prompt() {
        let reply = json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}});
        let error = parse(&reply).unwrap_err();
        assert_eq!(error.cause, Cause::Blocked("PROHIBITED_CONTENT".into()));
    }

    #[test]
    fn parse_safety_finish() {
        let reply = json!({"candidates": [{"content": {"parts": []}, "finishReason": "SAFETY"}]});
        assert_eq!(parse(&reply).unwrap_err().kind, ErrorKind::Rejected);
    }

    #[test]
    fn parse_unknown_finish_keeps_text() {
        let reply = json!({"candidates": [{"content": {"parts": [{"text": "{}"}]},
            "finishReason": "SOMETHING_NEW"}]});
        assert_eq!(
            parse(&reply).unwrap().finish_reason.as_deref(),
            Some("SOMETHING_NEW")
        );
    }

    #[test]
    fn usage_counts_thoughts_as_output() {
        let reply = json!({"candidates": [{"content": {"parts": [{"text": "{}"}]}}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 10,
            "thoughtsTokenCount": 5, "totalTokenCount": 115}});
        assert_eq!(parse(&reply).unwrap().usage.output_tokens, 15);
    }

    #[test]
    fn usage_by_modality() {
        let reply = json!({"candidates": [{"content": {"parts": [{"text": "{}"}]}}],
            "usageMetadata": {"promptTokensDetails": [{"modality": "VIDEO", "tokenCount": 80}]}});
        let usage = parse(&reply).unwrap().usage;
        assert_eq!(
            usage.input_by_modality,
            vec![ModalityTokens {
                modality: "VIDEO".into(),
                tokens: 80
            }]
        );
    }
}
