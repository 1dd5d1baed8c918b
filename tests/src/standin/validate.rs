//! Checks the stand-in applies to request contents. It checks JSON Schemas (the subset Gemini
//! documents for `responseJsonSchema`) and media bytes: an MP4 starts with an `ftyp` box, a JPEG
//! with `FF D8 FF`, a PNG with its signature. It also decodes base64 and reads camel or snake
//! case field names.

use base64::Engine;
use serde_json::{Map, Value};

/// Deepest schema nesting accepted; the real API rejects very deep schemas.
const MAX_SCHEMA_DEPTH: usize = 24;

const SCHEMA_TYPES: &[&str] = &[
    "string", "number", "integer", "boolean", "object", "array", "null",
];

/// Gets a field by its lowerCamelCase or snake_case name (proto3 JSON accepts both).
pub(crate) fn field<'a>(object: &'a Value, camel: &str) -> Option<&'a Value> {
    object
        .get(camel)
        .or_else(|| object.get(snake_case(camel).as_str()))
}

pub(crate) fn snake_case(camel: &str) -> String {
    let mut snake = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
}

/// Rejects keys of `object` that are not in `allowed` (camelCase names; snake case accepted).
pub(crate) fn known_fields(
    object: &Map<String, Value>,
    allowed: &[&str],
    at: &str,
) -> Result<(), String> {
    for key in object.keys() {
        let known = allowed
            .iter()
            .any(|name| key == name || *key == snake_case(name));
        if !known {
            return Err(format!("Invalid JSON payload received. Unknown name \"{key}\" at '{at}': Cannot find field."));
        }
    }
    Ok(())
}

/// Checks that `schema` is a well-formed JSON Schema of the supported subset.
pub fn check_schema(schema: &Value) -> Result<(), String> {
    check_schema_at(schema, "schema", 0)
}

fn check_schema_at(schema: &Value, at: &str, depth: usize) -> Result<(), String> {
    if depth > MAX_SCHEMA_DEPTH {
        return Err(format!(
            "{at}: the schema nests deeper than {MAX_SCHEMA_DEPTH} levels"
        ));
    }
    let object = match schema {
        Value::Bool(_) => return Ok(()),
        Value::Object(object) => object,
        _ => return Err(format!("{at}: a schema must be an object or a boolean")),
    };
    if let Some(kind) = object.get("type") {
        let kinds: Vec<&Value> = match kind {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for kind in kinds {
            let name = kind.as_str().unwrap_or_default();
            if !SCHEMA_TYPES.contains(&name) {
                return Err(format!("{at}.type: {kind} is not a JSON Schema type"));
            }
        }
    }
    if let Some(properties) = object.get("properties") {
        let properties = properties
            .as_object()
            .ok_or_else(|| format!("{at}.properties must be an object"))?;
        for (name, property) in properties {
            check_schema_at(property, &format!("{at}.properties.{name}"), depth + 1)?;
        }
    }
    if let Some(required) = object.get("required") {
        let required = required
            .as_array()
            .ok_or_else(|| format!("{at}.required must be an array"))?;
        for name in required {
            let name = name
                .as_str()
                .ok_or_else(|| format!("{at}.required holds a non-string {name}"))?;
            let declared = object
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|properties| properties.contains_key(name));
            if !declared {
                return Err(format!(
                    "{at}.required names \"{name}\", which is not in properties"
                ));
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = object.get(key) {
            check_schema_at(inner, &format!("{at}.{key}"), depth + 1)?;
        }
    }
    if let Some(items) = object.get("prefixItems") {
        for (index, item) in items.as_array().into_iter().flatten().enumerate() {
            check_schema_at(item, &format!("{at}.prefixItems[{index}]"), depth + 1)?;
        }
    }
    if let Some(values) = object.get("enum") {
        if values.as_array().is_none_or(|values| values.is_empty()) {
            return Err(format!("{at}.enum must be a non-empty array"));
        }
    }
    for key in ["minimum", "maximum"] {
        if object.get(key).is_some_and(|bound| !bound.is_number()) {
            return Err(format!("{at}.{key} must be a number"));
        }
    }
    for key in ["minItems", "maxItems"] {
        if object
            .get(key)
            .is_some_and(|bound| bound.as_u64().is_none())
        {
            return Err(format!("{at}.{key} must be a non-negative integer"));
        }
    }
    Ok(())
}

/// Decodes standard base64, as `inlineData.data` and data URLs carry it.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|error| format!("invalid base64: {error}"))
}

/// Checks that `bytes` are what `mime` claims.
pub(crate) fn check_media(mime: &str, bytes: &[u8]) -> Result<(), String> {
    let ok = match mime {
        "video/mp4" => bytes.get(4..8) == Some(b"ftyp"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        other => return Err(format!("unsupported MIME type {other}")),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the {} bytes are not a valid {mime} file",
            bytes.len()
        ))
    }
}

/// Builds a minimal instance of `schema`: every property present, the first enum value, the
/// minimum of each number range, `minItems` copies of the item. The stand-in returns it when
/// its script is empty.
pub fn example_for_schema(schema: &Value) -> Value {
    example_at(schema, 0)
}

fn example_at(schema: &Value, depth: usize) -> Value {
    if depth > MAX_SCHEMA_DEPTH {
        return Value::Null;
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|v| v.first())
    {
        return first.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::Array(kinds)) => kinds.iter().find_map(Value::as_str).unwrap_or("null"),
        Some(Value::String(kind)) => kind.as_str(),
        _ if schema.get("properties").is_some() => "object",
        _ => "null",
    };
    match kind {
        "object" => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let object = properties
                .into_iter()
                .flatten()
                .map(|(name, property)| (name.clone(), example_at(property, depth + 1)))
                .collect();
            Value::Object(object)
        }
        "array" => {
            let count = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let item = schema
                .get("items")
                .map_or(Value::Null, |item| example_at(item, depth + 1));
            Value::Array(vec![item; count])
        }
        "string" => Value::String("stand-in answer".into()),
        "integer" => schema.get("minimum").cloned().unwrap_or(Value::from(0)),
        "number" => schema.get("minimum").cloned().unwrap_or(Value::from(0.5)),
        "boolean" => Value::Bool(false),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_required_missing_property() {
        let schema = json!({"type": "object", "properties": {}, "required": ["a"]});
        assert!(check_schema(&schema).is_err());
    }

    #[test]
    fn schema_unknown_type() {
        assert!(check_schema(&json!({"type": "OBJECT"})).is_err());
    }

    #[test]
    fn example_fills_required() {
        let schema = json!({"type": "object", "properties": {
            "verdict": {"type": "string", "enum": ["yes", "no"]},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1}}});
        assert_eq!(
            example_for_schema(&schema),
            json!({"verdict": "yes", "confidence": 0})
        );
    }
}
