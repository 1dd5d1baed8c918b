//! A watched directory: each regular file directly inside is one recording, in any format
//! `recording::load` reads. A poll lists the folder and loads only files whose size or
//! modification time changed since the store last saw them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Context;

use super::PollReport;
use crate::recording::{self, AnalysisOptions};
use crate::store::{SessionRecord, Store};

/// A folder polled for recordings.
#[derive(Debug)]
pub struct DirectorySource {
    dir: PathBuf,
    /// Fingerprints of files that failed to load, so each failure is logged once per change.
    failed: HashMap<PathBuf, String>,
}

impl DirectorySource {
    /// Watches `dir`; the folder may appear later.
    pub fn new(dir: PathBuf) -> DirectorySource {
        DirectorySource {
            dir,
            failed: HashMap::new(),
        }
    }

    /// Returns the name stored as each session's `source`.
    pub fn name(&self) -> String {
        format!("directory:{}", self.dir.display())
    }

    /// Lists the folder and records new or changed recordings in the store.
    pub async fn poll(
        &mut self,
        store: &Store,
        options: &AnalysisOptions,
    ) -> anyhow::Result<PollReport> {
        let mut report = PollReport::default();
        for path in recording_files(&self.dir)? {
            let Some(fingerprint) = fingerprint(&path) else {
                continue;
            };
            let locator = path.display().to_string();
            if store.session_fingerprint(&locator).await?.as_deref() == Some(fingerprint.as_str())
                || self.failed.get(&path) == Some(&fingerprint)
            {
                continue;
            }
            match read_session(&path, options).await {
                Ok((id, started_at_ms, last_event_at_ms)) => {
                    self.failed.remove(&path);
                    store
                        .upsert_session(&SessionRecord {
                            id: id.clone(),
                            source: self.name(),
                            locator,
                            fingerprint,
                            started_at_ms: Some(started_at_ms),
                            last_event_at_ms,
                        })
                        .await?;
                    tracing::debug!(session_id = %id, path = %path.display(), "session found");
                    report.updated += 1;
                }
                Err(error) => {
                    tracing::warn!(path = %path.display(), error = %format!("{error:#}"), "recording skipped");
                    self.failed.insert(path, fingerprint);
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }
}

/// Regular files directly inside `dir`, sorted, without hidden files and the `.txt` and `.md`
/// notes that often sit beside recordings. A missing folder has none.
fn recording_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot list {}", dir.display()));
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let note = name.ends_with(".txt") || name.ends_with(".md");
        if name.starts_with('.') || note || !path.is_file() {
            continue;
        }
        files.push(path);
    }
    files.sort();
    Ok(files)
}

/// Size and modification time in nanoseconds; `None` when the file vanished.
fn fingerprint(path: &Path) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |elapsed| elapsed.as_nanos());
    Some(format!("{}:{modified}", metadata.len()))
}

/// Loads a recording off the async threads and returns (session id, start, last event time).
async fn read_session(
    path: &Path,
    options: &AnalysisOptions,
) -> anyhow::Result<(String, i64, i64)> {
    let path = path.to_path_buf();
    let options = options.clone();
    tokio::task::spawn_blocking(move || {
        let recording = recording::load(&path)?;
        let analysis = recording::analyze(&recording, &options);
        Ok((
            analysis.session_id.clone(),
            analysis.start_ms,
            analysis.start_ms + analysis.duration_ms,
        ))
    })
    .await
    .context("the recording loader stopped")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_and_hidden_files_skipped() {
        let folder = tempfile::tempdir().unwrap();
        for name in [
            "a.json",
            ".partial.json",
            "a.source.txt",
            "README.md",
            "b.jsonl.gz",
        ] {
            std::fs::write(folder.path().join(name), "[]").unwrap();
        }
        let names: Vec<String> = recording_files(folder.path())
            .unwrap()
            .iter()
            .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.json", "b.jsonl.gz"]);
    }

    #[test]
    fn missing_folder_is_empty() {
        let files = recording_files(Path::new("/nonexistent/replay-vision-recordings")).unwrap();
        assert!(files.is_empty());
    }
}
