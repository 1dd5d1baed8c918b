//! Scanner definitions: a named probe with a prompt, a type, filters and a sampling rate, kept
//! as TOML files for the CLI and as rows in the store for the daemon.
//!
//! A scanner's id is its name as a slug. Its version rises whenever a field that affects results
//! changes (type, config, filters, sampling rate, provider, model). The store detects such a
//! change by comparing a fingerprint of those fields with the one it saw last.

pub mod filters;

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A scanner as written in a TOML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScannerDefinition {
    /// Unique, at most 255 characters; the id is derived from it.
    pub name: String,
    /// For people only; never sent to the model.
    #[serde(default)]
    pub description: String,
    /// The scanner type id, such as `monitor` (a WebAssembly component).
    #[serde(rename = "type")]
    pub scanner_type: String,
    /// Type-specific configuration; always has `prompt`.
    pub config: serde_json::Value,
    /// Conditions on the sessions the scanner applies to. Empty filters select every eligible
    /// session.
    #[serde(default = "empty_object")]
    pub filters: serde_json::Value,
    /// Share of matching sessions to observe, 0 to 1 (0 pauses the scanner).
    #[serde(default = "one")]
    pub sampling_rate: f64,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Provider id (`gemini` or `openai`); the configuration's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Model id; the configuration's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// A version set by hand; when absent the store numbers versions itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

/// An invalid scanner file.
#[derive(Debug, thiserror::Error)]
pub enum ScannerFileError {
    #[error("cannot read scanner file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("scanner file {path} is not valid TOML for a scanner: {message}")]
    Parse { path: String, message: String },
    #[error("scanner file {path}: {message}")]
    Invalid { path: String, message: String },
}

impl ScannerDefinition {
    /// Reads and checks a scanner file (the type-specific config is checked by the type).
    pub fn from_file(path: &Path) -> Result<ScannerDefinition, ScannerFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScannerFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        ScannerDefinition::from_toml(&text, &path.display().to_string())
    }

    /// Parses and checks a scanner from TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<ScannerDefinition, ScannerFileError> {
        let definition: ScannerDefinition =
            toml::from_str(text).map_err(|error| ScannerFileError::Parse {
                path: origin.to_string(),
                message: error.to_string(),
            })?;
        definition
            .check()
            .map_err(|message| ScannerFileError::Invalid {
                path: origin.to_string(),
                message,
            })?;
        Ok(definition)
    }

    /// Checks the fields every scanner has, whatever its type.
    pub fn check(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("`name` is empty; give the scanner a name".into());
        }
        if self.name.chars().count() > 255 {
            return Err("`name` is longer than 255 characters".into());
        }
        if self.description.chars().count() > 1000 {
            return Err("`description` is longer than 1000 characters".into());
        }
        if !(0.0..=1.0).contains(&self.sampling_rate) {
            return Err(format!(
                "`sampling_rate` is {}; it must be between 0 and 1",
                self.sampling_rate
            ));
        }
        if self.sampling_rate > 0.0 && self.sampling_rate < 0.0001 {
            return Err(
                "`sampling_rate` below 0.0001 is too small to sample with; use 0 to pause".into(),
            );
        }
        if !self.config.is_object() {
            return Err("`config` must be a table with at least `prompt`".into());
        }
        if !self.filters.is_object() {
            return Err("`filters` must be a table".into());
        }
        filters::to_filters(&self.filters)?;
        if slug(&self.name).is_empty() {
            return Err("`name` needs at least one letter or digit".into());
        }
        Ok(())
    }

    /// Returns the scanner's id: its name in lower case, runs of other characters as `-`.
    pub fn id(&self) -> String {
        slug(&self.name)
    }

    /// A hash of the fields that affect results; a change means a new version.
    pub fn fingerprint(&self) -> String {
        let fields = serde_json::json!({
            "type": self.scanner_type,
            "config": self.config,
            "filters": self.filters,
            "sampling_rate": self.sampling_rate,
            "provider": self.provider,
            "model": self.model,
        });
        hex::encode(Sha256::digest(fields.to_string().as_bytes()))
    }

    /// Returns the definition as JSON, as stored in the observation's frozen snapshot.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a scanner definition always serialises")
    }
}

/// Lower-case letters and digits of `name`, other runs of characters as one `-`.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for character in name.chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONITOR: &str = r#"
name = "Dead-end pages"
type = "monitor"
[config]
prompt = "Answer yes if the user appears stuck."
"#;

    #[test]
    fn slug_joins_words() {
        assert_eq!(slug("Dead-end pages!"), "dead-end-pages");
        assert_eq!(slug("  Checkout  Flow 2 "), "checkout-flow-2");
    }

    #[test]
    fn toml_defaults_apply() {
        let scanner = ScannerDefinition::from_toml(MONITOR, "m.toml").unwrap();
        assert_eq!(scanner.id(), "dead-end-pages");
        assert_eq!(scanner.sampling_rate, 1.0);
        assert!(scanner.enabled);
        assert_eq!(scanner.filters, serde_json::json!({}));
    }

    #[test]
    fn unknown_field_is_rejected() {
        let text = format!("{MONITOR}\n[extra]\nx = 1\n");
        let error = ScannerDefinition::from_toml(&text, "m.toml").unwrap_err();
        assert!(error.to_string().contains("extra"), "{error}");
    }

    #[test]
    fn sampling_rate_out_of_range() {
        let text = MONITOR.replace("type =", "sampling_rate = 1.5\ntype =");
        let error = ScannerDefinition::from_toml(&text, "m.toml").unwrap_err();
        assert!(error.to_string().contains("sampling_rate"), "{error}");
    }

    #[test]
    fn fingerprint_follows_prompt() {
        let scanner = ScannerDefinition::from_toml(MONITOR, "m.toml").unwrap();
        let mut edited = scanner.clone();
        edited.config["prompt"] = "Something else".into();
        assert_ne!(scanner.fingerprint(), edited.fingerprint());
        let mut described = scanner.clone();
        described.description = "for people".into();
        assert_eq!(scanner.fingerprint(), described.fingerprint());
    }
}

/// The built-in templates: (template name, TOML text). `scanners new --template NAME` copies
/// one; `scan --scanner NAME` also accepts a template name.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "dead_end",
        include_str!("../../scanners/templates/dead_end.toml"),
    ),
    (
        "session_summary",
        include_str!("../../scanners/templates/session_summary.toml"),
    ),
    (
        "user_intent",
        include_str!("../../scanners/templates/user_intent.toml"),
    ),
    (
        "frustration_score",
        include_str!("../../scanners/templates/frustration_score.toml"),
    ),
    (
        "session_outcome",
        include_str!("../../scanners/templates/session_outcome.toml"),
    ),
    (
        "checkout_checklist",
        include_str!("../../scanners/templates/checkout_checklist.toml"),
    ),
];

/// Returns the TOML text of a template.
pub fn template(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|(template, _)| *template == name)
        .map(|(_, text)| *text)
}

/// The origin of a scanner definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannerSource {
    File(std::path::PathBuf),
    Template(&'static str),
}

/// Finds a scanner by reference. A path to a TOML file comes first, then the name or id of a
/// scanner in `dir`, then the name of a built-in template.
pub fn resolve(
    reference: &str,
    dir: &Path,
) -> Result<(ScannerDefinition, ScannerSource), ScannerFileError> {
    let as_path = Path::new(reference);
    if as_path.is_dir() {
        return Err(ScannerFileError::Invalid {
            path: reference.to_string(),
            message: "is a folder; give a scanner file, a scanner name or a template name".into(),
        });
    }
    if as_path.is_file() {
        let definition = ScannerDefinition::from_file(as_path)?;
        return Ok((definition, ScannerSource::File(as_path.to_path_buf())));
    }
    let wanted = slug(reference);
    for path in scanner_files(dir) {
        let stem_matches = path
            .file_stem()
            .is_some_and(|stem| slug(&stem.to_string_lossy()) == wanted);
        if let Ok(definition) = ScannerDefinition::from_file(&path) {
            if definition.id() == wanted || stem_matches {
                return Ok((definition, ScannerSource::File(path)));
            }
        }
    }
    for (name, text) in TEMPLATES {
        if *name == reference || slug(name) == wanted {
            let definition = ScannerDefinition::from_toml(text, &format!("template {name}"))?;
            return Ok((definition, ScannerSource::Template(name)));
        }
    }
    Err(ScannerFileError::Invalid {
        path: reference.to_string(),
        message: format!(
            "no such file, no scanner of that name in {}, and no template of that name; \
             templates: {}",
            dir.display(),
            TEMPLATES
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// Lists the `.toml` files directly inside `dir`, sorted, or none when it does not exist.
pub fn scanner_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "toml")
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod template_tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for (name, text) in TEMPLATES {
            let parsed = ScannerDefinition::from_toml(text, name);
            assert!(parsed.is_ok(), "{name}: {parsed:?}");
        }
    }

    #[test]
    fn resolve_finds_template_by_name() {
        let (definition, source) = resolve("frustration_score", Path::new("/nonexistent")).unwrap();
        assert_eq!(definition.scanner_type, "scorer");
        assert_eq!(source, ScannerSource::Template("frustration_score"));
    }

    #[test]
    fn resolve_folder_says_so() {
        let folder = std::env::temp_dir();
        let error = resolve(folder.to_str().unwrap(), Path::new("/nonexistent")).unwrap_err();
        assert!(error.to_string().contains("is a folder"), "{error}");
    }

    #[test]
    fn resolve_unknown_lists_templates() {
        let error = resolve("nope", Path::new("/nonexistent")).unwrap_err();
        assert!(error.to_string().contains("dead_end"), "{error}");
    }
}
