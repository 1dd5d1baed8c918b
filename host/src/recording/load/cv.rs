//! Decoding of events that posthog-js compressed (`cv: "2024-10"`). A compressed field is a
//! JSON string with one character per gzip byte (char codes 0 to 255). Decoding maps each
//! character to its byte, gunzips and parses the JSON inside. FullSnapshots compress the whole
//! `data`; Mutations compress `texts`, `attributes`, `removes` and `adds`; StyleSheetRule events
//! compress `adds` and `removes`.

use std::fmt;
use std::io::Read;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The compression version posthog-js writes in `cv`.
pub(crate) const SUPPORTED_VERSION: &str = "2024-10";

const MUTATION_FIELDS: [&str; 4] = ["texts", "attributes", "removes", "adds"];
const STYLE_SHEET_RULE_FIELDS: [&str; 2] = ["adds", "removes"];

/// Failure to decode a compressed field.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CvError {
    #[error("character U+{code:04X} at position {position} is not a byte (above U+00FF)")]
    NotByte { code: u32, position: usize },
    #[error("invalid gzip stream: {0}")]
    Gzip(std::io::Error),
    #[error("decompressed size passes the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("decompressed bytes are not UTF-8 JSON: {0}")]
    Json(String),
    #[error("unsupported compression version {0:?}; this build reads \"2024-10\"")]
    Version(String),
}

/// Decodes the compressed fields of one event. Returns `None` when nothing in `data` was
/// compressed (posthog-js leaves small or unrelated events as they are).
pub(crate) fn decode_data(
    version: &str,
    event_type: u64,
    data: &RawValue,
    limit: u64,
) -> Result<Option<Box<RawValue>>, CvError> {
    if version != SUPPORTED_VERSION {
        return Err(CvError::Version(version.to_owned()));
    }
    match event_type {
        2 => match serde_json::from_str::<String>(data.get()) {
            Ok(packed) => decode_field(&packed, limit).map(Some),
            Err(_) => Ok(None),
        },
        3 => decode_incremental(data, limit),
        _ => Ok(None),
    }
}

fn decode_incremental(data: &RawValue, limit: u64) -> Result<Option<Box<RawValue>>, CvError> {
    let Ok(Entries(entries)) = serde_json::from_str::<Entries>(data.get()) else {
        return Ok(None);
    };
    let source = entries
        .iter()
        .find(|(key, _)| key == "source")
        .and_then(|(_, value)| value.get().parse::<u64>().ok());
    let fields: &[&str] = match source {
        Some(0) => &MUTATION_FIELDS,
        Some(8) => &STYLE_SHEET_RULE_FIELDS,
        _ => return Ok(None),
    };
    let mut changed = false;
    let mut out = String::with_capacity(data.get().len() * 4);
    out.push('{');
    for (index, (key, value)) in entries.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(key).expect("a string serializes"));
        out.push(':');
        let packed = fields
            .contains(&key.as_str())
            .then(|| serde_json::from_str::<String>(value.get()).ok())
            .flatten();
        match packed {
            Some(packed) => {
                out.push_str(decode_field(&packed, limit)?.get());
                changed = true;
            }
            None => out.push_str(value.get()),
        }
    }
    out.push('}');
    if !changed {
        return Ok(None);
    }
    let raw = RawValue::from_string(out).map_err(|error| CvError::Json(error.to_string()))?;
    Ok(Some(raw))
}

/// Unpacks one compressed string into the JSON it holds, reading at most `limit` bytes of
/// decompressed output so that a gzip bomb fails early.
pub(crate) fn decode_field(packed: &str, limit: u64) -> Result<Box<RawValue>, CvError> {
    let mut bytes = Vec::with_capacity(packed.len());
    for (position, character) in packed.chars().enumerate() {
        let code = u32::from(character);
        let byte = u8::try_from(code).map_err(|_| CvError::NotByte { code, position })?;
        bytes.push(byte);
    }
    let mut decoder = flate2::read::GzDecoder::new(bytes.as_slice()).take(limit + 1);
    let mut json = Vec::new();
    decoder.read_to_end(&mut json).map_err(CvError::Gzip)?;
    if json.len() as u64 > limit {
        return Err(CvError::TooLarge { limit });
    }
    let text = String::from_utf8(json).map_err(|error| CvError::Json(error.to_string()))?;
    RawValue::from_string(text).map_err(|error| CvError::Json(error.to_string()))
}

/// The entries of a JSON object in input order, values kept raw.
struct Entries(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn pack(json: &str) -> String {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(json.as_bytes()).unwrap();
        let bytes = encoder.finish().unwrap();
        bytes.into_iter().map(char::from).collect()
    }

    #[test]
    fn decode_field_round_trip() {
        let packed = pack(r#"{"a":[1,2]}"#);
        assert_eq!(decode_field(&packed, 1024).unwrap().get(), r#"{"a":[1,2]}"#);
    }

    #[test]
    fn decode_field_rejects_wide_char() {
        let error = decode_field("\u{1F600}", 1024).unwrap_err();
        assert!(matches!(error, CvError::NotByte { position: 0, .. }));
    }

    #[test]
    fn decode_field_caps_output() {
        let packed = pack(&format!("\"{}\"", "a".repeat(4096)));
        let error = decode_field(&packed, 1024).unwrap_err();
        assert!(matches!(error, CvError::TooLarge { limit: 1024 }));
    }

    #[test]
    fn decode_mutation_fields() {
        let data = format!(
            r#"{{"source":0,"texts":{},"adds":[],"isAttachIframe":true}}"#,
            serde_json::to_string(&pack(r#"[{"id":1,"value":"x"}]"#)).unwrap()
        );
        let raw = RawValue::from_string(data).unwrap();
        let decoded = decode_data("2024-10", 3, &raw, 1024).unwrap().unwrap();
        assert_eq!(
            decoded.get(),
            r#"{"source":0,"texts":[{"id":1,"value":"x"}],"adds":[],"isAttachIframe":true}"#
        );
    }
}
