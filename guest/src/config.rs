//! Parsing of a scanner's type-specific config.
//!
//! Every config is a JSON object with a `prompt` string (non-blank, at most
//! [`MAX_PROMPT_CHARS`] characters) plus the keys of its type. Errors name the field by its
//! JSON path (`scale.min`), because the person fixing the scanner file needs to find it.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ScannerError;

/// The longest accepted `prompt`, in characters.
pub const MAX_PROMPT_CHARS: usize = 20_000;

/// Parses `json` into the type's config `C`, checking the shared `prompt` rules first.
///
/// An unknown key is an error only if `C` denies unknown fields, which every built-in does.
pub fn parse<C: DeserializeOwned>(json: &str) -> Result<C, ScannerError> {
    let value: Value = serde_json::from_str(json)
        .map_err(|error| ScannerError::config("", format!("config is not valid JSON: {error}")))?;
    let Value::Object(map) = &value else {
        return Err(ScannerError::config(
            "",
            "config must be a JSON object with at least a `prompt` key",
        ));
    };
    check_prompt(map.get("prompt"))?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner = error.inner().to_string();
        let field = field_of(&error.path().to_string(), &inner);
        ScannerError::config(&field, format!("invalid config: {inner}"))
    })
}

fn check_prompt(prompt: Option<&Value>) -> Result<(), ScannerError> {
    let text = match prompt {
        None => {
            return Err(ScannerError::config(
                "prompt",
                "missing field `prompt`: every scanner needs the question to ask the model",
            ))
        }
        Some(Value::String(text)) => text,
        Some(_) => return Err(ScannerError::config("prompt", "`prompt` must be a string")),
    };
    if text.trim().is_empty() {
        return Err(ScannerError::config("prompt", "`prompt` must not be blank"));
    }
    let chars = text.chars().count();
    if chars > MAX_PROMPT_CHARS {
        return Err(ScannerError::config(
            "prompt",
            format!("`prompt` has {chars} characters; the maximum is {MAX_PROMPT_CHARS}"),
        ));
    }
    Ok(())
}

/// Returns the path of the offending field. serde reports a missing key at its parent's
/// path, so the key named in the message is appended; an unknown key's path is complete.
fn field_of(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let named = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (parent, named) {
        ("", Some(key)) => key.to_owned(),
        (parent, Some(key)) => format!("{parent}.{key}"),
        (parent, None) => parent.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        prompt: String,
        scale: Scale,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Scale {
        min: f64,
        max: f64,
    }

    fn field(json: &str) -> Option<String> {
        parse::<Sample>(json).unwrap_err().field
    }

    #[test]
    fn missing_prompt_named() {
        assert_eq!(
            field(r#"{"scale":{"min":1,"max":2}}"#).as_deref(),
            Some("prompt")
        );
    }

    #[test]
    fn blank_prompt_named() {
        assert_eq!(field(r#"{"prompt":"  "}"#).as_deref(), Some("prompt"));
    }

    #[test]
    fn unknown_key_named() {
        let json = r#"{"prompt":"q","scale":{"min":1,"max":2},"colour":1}"#;
        assert_eq!(field(json).as_deref(), Some("colour"));
    }

    #[test]
    fn nested_unknown_key_named() {
        let json = r#"{"prompt":"q","scale":{"min":1,"max":2,"step":1}}"#;
        assert_eq!(field(json).as_deref(), Some("scale.step"));
    }

    #[test]
    fn nested_wrong_type_named() {
        let json = r#"{"prompt":"q","scale":{"min":"low","max":2}}"#;
        assert_eq!(field(json).as_deref(), Some("scale.min"));
    }

    #[test]
    fn valid_config_parses() {
        let parsed = parse::<Sample>(r#"{"prompt":"q","scale":{"min":1,"max":2}}"#).unwrap();
        assert_eq!(parsed.scale.max, 2.0);
    }
}
