//! One pass over an event's raw `data` that bounds its nesting depth and drops insignificant
//! whitespace, so a pretty-printed export and a compact blob give the same bytes (and the same
//! content hash) for the same events.

use std::borrow::Cow;

/// The nesting found when it passes the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooDeep {
    /// The depth at which the scan stopped (the bound plus one).
    pub depth: usize,
}

/// Checks that `json` (already valid JSON) nests at most `max_depth` arrays and objects, and
/// returns it without whitespace outside strings. Returns the input borrowed when it has no
/// such whitespace, which is the usual case for recorder output.
pub(crate) fn normalize(json: &str, max_depth: usize) -> Result<Cow<'_, str>, TooDeep> {
    let bytes = json.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut depth = 0usize;
    let mut index = 0usize;
    while index < bytes.len() {
        let byte = bytes[index];
        match byte {
            b'"' => {
                let end = string_end(bytes, index + 1);
                if let Some(out) = out.as_mut() {
                    out.extend_from_slice(&bytes[index..end]);
                }
                index = end;
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    return Err(TooDeep { depth });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b' ' | b'\n' | b'\r' | b'\t' => {
                if out.is_none() {
                    let mut copy = Vec::with_capacity(bytes.len());
                    copy.extend_from_slice(&bytes[..index]);
                    out = Some(copy);
                }
                index += 1;
                continue;
            }
            _ => {}
        }
        if let Some(out) = out.as_mut() {
            out.push(byte);
        }
        index += 1;
    }
    match out {
        None => Ok(Cow::Borrowed(json)),
        // Only ASCII whitespace between tokens was removed, so the bytes stay UTF-8.
        Some(out) => Ok(Cow::Owned(
            String::from_utf8(out).expect("removing ASCII whitespace keeps UTF-8"),
        )),
    }
}

/// Returns the index just past the closing quote of the string whose contents start at `from`.
fn string_end(bytes: &[u8], mut from: usize) -> usize {
    loop {
        match memchr::memchr2(b'"', b'\\', &bytes[from..]) {
            None => return bytes.len(),
            Some(offset) => {
                let at = from + offset;
                if bytes[at] == b'"' {
                    return at + 1;
                }
                // Skip the escaped character, which may itself be a quote or a backslash.
                from = at + 2;
                if from >= bytes.len() {
                    return bytes.len();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_compact_is_borrowed() {
        let json = r#"{"a":[1,{"b":"x y"}]}"#;
        assert!(matches!(normalize(json, 10), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn normalize_strips_whitespace() {
        let json = "{ \"a\" : [1, 2],\n \"s\": \"x \\\" y\" }";
        assert_eq!(normalize(json, 10).unwrap(), r#"{"a":[1,2],"s":"x \" y"}"#);
    }

    #[test]
    fn normalize_rejects_deep() {
        let json = format!("{}{}", "[".repeat(11), "]".repeat(11));
        assert_eq!(normalize(&json, 10), Err(TooDeep { depth: 11 }));
    }

    #[test]
    fn normalize_ignores_brackets_in_strings() {
        let json = r#"["[[[[", "\\", "{{{{"]"#;
        assert!(normalize(json, 1).is_ok());
    }
}
