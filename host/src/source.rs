//! Sources: where the daemon finds sessions. A watched directory (every file in it is one
//! recording) and PostHog's recordings API. Each poll records the sessions it finds in the
//! store with the time of their last event; the sweep decides from there which are settled.
//! A source hands the daemon files, so the worker reads every session the same way whatever
//! its origin: the PostHog source writes the snapshots it fetches under the data folder.

pub mod directory;
pub mod posthog;

use std::path::PathBuf;

use serde::Deserialize;

pub use directory::DirectorySource;
pub use posthog::{PostHogSource, PostHogSourceConfig};

/// The `[sources]` section of `replay-vision.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesConfig {
    /// Folders to watch; every regular file directly inside is a recording. The default is
    /// none.
    pub directories: Vec<PathBuf>,
    /// PostHog's recordings API; off unless this table is present.
    pub posthog: Option<PostHogSourceConfig>,
}

/// What one poll of a source did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Sessions new or changed since the last poll.
    pub updated: usize,
    /// Recordings that could not be read (each is logged with the reason).
    pub failed: usize,
}
