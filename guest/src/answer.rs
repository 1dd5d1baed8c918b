//! Validation of the model's raw answer.
//!
//! [`Answer::parse`] accepts one JSON object, also when the model wrapped it in a Markdown
//! code fence. The `take_*` methods read one field each and fail with a message written for
//! the model: it names the field, the rule and the value seen, so that the host can quote it
//! in a re-prompt. Fields that were not taken are dropped from the output.

use serde_json::{Map, Value};

use crate::{citations, CitedField, ParsedOutput, ScannerError};

/// The maximum length of a value quoted back in an error message, in characters.
const MAX_QUOTED_CHARS: usize = 80;

/// A model answer being validated, field by field, into a normalised output object.
#[derive(Debug)]
pub struct Answer {
    fields: Map<String, Value>,
    output: Map<String, Value>,
    citations: Vec<CitedField>,
}

impl Answer {
    /// Parses the raw answer text as a JSON object.
    pub fn parse(raw: &str) -> Result<Self, ScannerError> {
        let text = strip_fence(raw.trim());
        let value: Value = serde_json::from_str(text).map_err(|error| {
            ScannerError::answer(
                None,
                format!(
                    "the answer is not valid JSON ({error}); respond with one raw JSON \
                     object only, without Markdown or other text"
                ),
            )
        })?;
        let Value::Object(fields) = value else {
            return Err(ScannerError::answer(
                None,
                format!("the answer must be a JSON object, not {}", kind_of(&value)),
            ));
        };
        Ok(Self {
            fields,
            output: Map::new(),
            citations: Vec::new(),
        })
    }

    fn take(&mut self, field: &str) -> Result<Value, ScannerError> {
        self.fields
            .remove(field)
            .filter(|value| !value.is_null())
            .ok_or_else(|| ScannerError::answer(Some(field), format!("`{field}` is missing")))
    }

    /// Takes a non-blank string of at most `max_chars` characters, if given.
    pub fn take_string(
        &mut self,
        field: &str,
        max_chars: Option<usize>,
    ) -> Result<String, ScannerError> {
        let value = self.take(field)?;
        let Value::String(text) = value else {
            return Err(wrong_type(field, "a string", &value));
        };
        let text = text.trim().to_owned();
        if text.is_empty() {
            return Err(ScannerError::answer(
                Some(field),
                format!("`{field}` must not be empty"),
            ));
        }
        if let Some(max_chars) = max_chars {
            let chars = text.chars().count();
            if chars > max_chars {
                return Err(ScannerError::answer(
                    Some(field),
                    format!("`{field}` has {chars} characters; the maximum is {max_chars}"),
                ));
            }
        }
        self.output
            .insert(field.to_owned(), Value::String(text.clone()));
        Ok(text)
    }

    /// Takes a string with inline citations: the output keeps the text without markers and
    /// the citations are recorded for the field.
    pub fn take_cited_text(&mut self, field: &str) -> Result<String, ScannerError> {
        self.take_string(field, None)?;
        let cited = citations::extract(&mut self.output, field)
            .expect("take_string stored the field as a string");
        self.citations.push(cited);
        Ok(self.output[field].as_str().unwrap_or_default().to_owned())
    }

    /// Takes a string that must be one of `allowed`.
    pub fn take_choice(&mut self, field: &str, allowed: &[&str]) -> Result<String, ScannerError> {
        let value = self.take(field)?;
        let choice = value.as_str().map(str::trim).unwrap_or_default();
        if !allowed.contains(&choice) {
            return Err(ScannerError::answer(
                Some(field),
                format!(
                    "`{field}` must be one of {}; got {}",
                    quote_list(allowed),
                    quote(&value)
                ),
            ));
        }
        self.output
            .insert(field.to_owned(), Value::String(choice.to_owned()));
        Ok(choice.to_owned())
    }

    /// Takes a number within `[min, max]`.
    pub fn take_number(&mut self, field: &str, min: f64, max: f64) -> Result<f64, ScannerError> {
        let value = self.take(field)?;
        let Some(number) = value.as_f64() else {
            return Err(wrong_type(field, "a number", &value));
        };
        if !(min..=max).contains(&number) {
            return Err(ScannerError::answer(
                Some(field),
                format!("`{field}` must be between {min} and {max}; got {number}"),
            ));
        }
        self.output.insert(field.to_owned(), Value::from(number));
        Ok(number)
    }

    /// Takes `confidence`: a number from 0 to 1, rounded to one decimal.
    pub fn take_confidence(&mut self) -> Result<f64, ScannerError> {
        let confidence = self.take_number("confidence", 0.0, 1.0)?;
        let rounded = (confidence * 10.0).round() / 10.0;
        self.output
            .insert("confidence".to_owned(), Value::from(rounded));
        Ok(rounded)
    }

    /// Takes a boolean.
    pub fn take_bool(&mut self, field: &str) -> Result<bool, ScannerError> {
        let value = self.take(field)?;
        let Some(flag) = value.as_bool() else {
            return Err(wrong_type(field, "true or false", &value));
        };
        self.output.insert(field.to_owned(), Value::Bool(flag));
        Ok(flag)
    }

    /// Takes an array of strings, trimmed, with between `min` and `max` entries. A missing
    /// field counts as empty when `min` is 0.
    pub fn take_strings(
        &mut self,
        field: &str,
        min: usize,
        max: usize,
    ) -> Result<Vec<String>, ScannerError> {
        let value = match self.take(field) {
            Ok(value) => value,
            Err(_) if min == 0 => Value::Array(Vec::new()),
            Err(error) => return Err(error),
        };
        let Value::Array(items) = &value else {
            return Err(wrong_type(field, "an array of strings", &value));
        };
        let mut strings = Vec::with_capacity(items.len());
        for item in items {
            let Some(text) = item.as_str() else {
                return Err(wrong_type(field, "an array of strings", &value));
            };
            strings.push(text.trim().to_owned());
        }
        if strings.len() < min || strings.len() > max {
            return Err(ScannerError::answer(
                Some(field),
                format!(
                    "`{field}` must have {min} to {max} entries; got {}",
                    strings.len()
                ),
            ));
        }
        Ok(strings)
    }

    /// Stores `value` under `field` in the output, for normalised or derived values.
    pub fn set(&mut self, field: &str, value: Value) {
        self.output.insert(field.to_owned(), value);
    }

    /// Finishes validation: the output object and the citations of its text fields.
    pub fn finish(self) -> ParsedOutput {
        ParsedOutput {
            output: Value::Object(self.output).to_string(),
            citations: self.citations,
        }
    }
}

/// Removes a Markdown code fence around the answer, if there is one.
fn strip_fence(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    let body = rest.split_once('\n').map_or("", |(_, body)| body);
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

fn wrong_type(field: &str, expected: &str, value: &Value) -> ScannerError {
    ScannerError::answer(
        Some(field),
        format!("`{field}` must be {expected}; got {}", quote(value)),
    )
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Quotes a value for an error message, shortened to [`MAX_QUOTED_CHARS`].
fn quote(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

fn quote_list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|value| format!("\"{value}\"")).collect();
    quoted.join(", ")
}

/// Converts `text` to a lowercase snake_case slug: letters and digits kept, runs of
/// anything else become one underscore.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for character in text.trim().chars().flat_map(char::to_lowercase) {
        if character.is_alphanumeric() {
            slug.push(character);
        } else if !slug.is_empty() && !slug.ends_with('_') {
            slug.push('_');
        }
    }
    slug.trim_end_matches('_').to_owned()
}

#[cfg(test)]
#[path = "answer/tests.rs"]
mod tests;
