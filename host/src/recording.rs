//! A recording is the rrweb event stream of one session, split per window (browser tab) and
//! sorted by time. This module loads every format a user is likely to hold (plain rrweb arrays,
//! PostHog exports and blob lines, gzip or Snappy-framed files, posthog-js compressed events)
//! into one [`Recording`], and [`analyze`] derives what the rest of the pipeline needs from it:
//! activity spans, the event log the model reads, session metadata for filters and eligibility.
//!
//! ```no_run
//! use replay_vision::recording::{self, AnalysisOptions};
//!
//! let recording = recording::load("session.json".as_ref())?;
//! let analysis = recording::analyze(&recording, &AnalysisOptions::default());
//! println!("{}", recording::format_event_log(&analysis));
//! # Ok::<(), recording::LoadError>(())
//! ```

mod analysis;
mod event;
mod load;

pub use analysis::{
    analyze, format_event_log, ActiveSpan, Analysis, AnalysisOptions, Eligibility, IneligibleKind,
    LogEntry, LogKind, SessionMetadata, Target,
};
pub use event::{
    Container, Event, EventType, Format, IncrementalSource, MouseInteraction, Recording, Window,
};
pub use load::{load, load_bytes, load_bytes_with, load_with, LoadError, LoadOptions};
