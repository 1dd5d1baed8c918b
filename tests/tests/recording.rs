//! Loading and analysing every real recording in `tests/data/recordings/`, the derived
//! fixtures and the field cases. Expected values were counted from the files independently
//! (a short Python pass over the raw events), so a bug in sorting, de-duplication, activity or
//! the DOM mirror changes a number here.

mod recording {
    mod containers;
    mod field_cases;
    mod fixtures;
}

use std::path::PathBuf;

use replay_vision::recording::{analyze, Analysis, AnalysisOptions, Recording};

/// Path of a file under `tests/data/`.
pub fn data(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(relative)
}

/// Loads a file under `tests/data/`, failing the test with the loader's message.
pub fn load(relative: &str) -> Recording {
    replay_vision::recording::load(&data(relative)).unwrap_or_else(|error| panic!("{error}"))
}

/// Loads and analyses a file under `tests/data/` with the default options.
pub fn load_analyzed(relative: &str) -> (Recording, Analysis) {
    let recording = load(relative);
    let analysis = analyze(&recording, &AnalysisOptions::default());
    (recording, analysis)
}
