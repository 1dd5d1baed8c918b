//! Checks on a component's bytes before compiling: full validation, and the version of the
//! `replay-vision:scanner` WIT package it was built against.
//!
//! The version is read from the name of the component's `scanner-type` export, for example
//! `replay-vision:scanner/scanner-type@0.1.0`, which wit-bindgen writes from the guest's WIT.

use wasmparser::{ComponentExternalKind, Parser, Payload, Validator, WasmFeatures};

use super::error::GuestError;

/// The export name prefix that carries the WIT version.
const EXPORT_PREFIX: &str = "replay-vision:scanner/scanner-type@";

/// WIT versions this host loads. A 0.x version is compatible within its minor version.
pub const SUPPORTED_WIT_VERSIONS: &[&str] = &["0.1.0"];

/// Validates the whole binary, so that truncated or malformed uploads fail here with a
/// message instead of inside the compiler.
pub(crate) fn validate(wasm: &[u8], origin: &str) -> Result<(), GuestError> {
    if !wasmparser::Parser::is_component(wasm) {
        return Err(GuestError::InvalidComponent {
            origin: origin.to_owned(),
            reason: "the file is not a component (core modules are not accepted; build with \
                     `--target wasm32-wasip2`)"
                .to_owned(),
        });
    }
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    validator
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|error| GuestError::InvalidComponent {
            origin: origin.to_owned(),
            reason: error.to_string(),
        })
}

/// Reads the WIT version from the top-level export of `scanner-type`.
pub(crate) fn wit_version(wasm: &[u8], origin: &str) -> Result<String, GuestError> {
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|error| GuestError::InvalidComponent {
            origin: origin.to_owned(),
            reason: error.to_string(),
        })?;
        match payload {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentExportSection(exports) if depth == 1 => {
                for export in exports {
                    let export = export.map_err(|error| GuestError::InvalidComponent {
                        origin: origin.to_owned(),
                        reason: error.to_string(),
                    })?;
                    if export.kind != ComponentExternalKind::Instance {
                        continue;
                    }
                    if let Some(version) = export.name.name.strip_prefix(EXPORT_PREFIX) {
                        return Ok(version.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    Err(GuestError::InvalidComponent {
        origin: origin.to_owned(),
        reason: format!(
            "it exports no `{EXPORT_PREFIX}<version>` interface; is it a replay-vision scanner \
             type?"
        ),
    })
}

/// Checks that `version` is one this host supports.
pub(crate) fn check_version(version: &str, origin: &str) -> Result<(), GuestError> {
    if SUPPORTED_WIT_VERSIONS
        .iter()
        .any(|supported| compatible(supported, version))
    {
        return Ok(());
    }
    Err(GuestError::IncompatibleVersion {
        origin: origin.to_owned(),
        found: version.to_owned(),
        supported: SUPPORTED_WIT_VERSIONS.join(", "),
    })
}

/// Semver compatibility as Cargo defines it: same major, and same minor while major is 0.
fn compatible(supported: &str, found: &str) -> bool {
    let parts = |version: &str| -> Option<(u64, u64)> {
        let mut numbers = version.split(['.', '-', '+']);
        let major = numbers.next()?.parse().ok()?;
        let minor = numbers.next()?.parse().ok()?;
        Some((major, minor))
    };
    match (parts(supported), parts(found)) {
        (Some((0, minor)), Some((0, found_minor))) => minor == found_minor,
        (Some((major, _)), Some((found_major, _))) => major == found_major,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_minor_compatible() {
        assert!(compatible("0.1.0", "0.1.3"));
    }

    #[test]
    fn other_minor_incompatible() {
        assert!(!compatible("0.1.0", "0.2.0"));
    }

    #[test]
    fn garbage_incompatible() {
        assert!(!compatible("0.1.0", "latest"));
    }

    #[test]
    fn core_module_rejected() {
        let module = b"\0asm\x01\0\0\0";
        let error = validate(module, "m.wasm").unwrap_err();
        assert_eq!(error.kind(), "invalid_component");
    }

    #[test]
    fn truncated_rejected() {
        let component = b"\0asm\x0d\0\x01\0\x07";
        let error = validate(component, "t.wasm").unwrap_err();
        assert_eq!(error.kind(), "invalid_component");
    }
}
