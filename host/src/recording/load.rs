//! Loading: detects the container (plain, gzip, Snappy-framed) and the JSON shape, decodes
//! compressed events, bounds nesting and sizes, then sorts, de-duplicates and splits the events
//! per window.
//!
//! Memory: JSON lines are parsed one line at a time. A single JSON document is read whole and
//! parsed from the buffer, which is dropped once the events are extracted, so the peak is about
//! the decompressed file plus the events' raw `data`.

mod assemble;
mod cv;
mod normalize;
mod wire;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use assemble::Assembler;
use wire::{DataField, Top, TopObject, WindowKey};

use super::{Container, Format, Recording};

/// Bounds on untrusted input. Inputs past a bound are rejected with [`LoadError::TooLarge`] or
/// [`LoadError::TooDeep`] instead of exhausting memory or stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Maximum nesting of arrays and objects inside one event's `data`. The default is 1000,
    /// about 500 DOM levels in a FullSnapshot. serde_json's own default of 128 (about 60 DOM
    /// levels) is too low for real pages.
    pub max_depth: usize,
    /// Maximum size in bytes of the decompressed input file, and separately of all decoded
    /// posthog-js compressed fields together. The default is 1 GiB, several times the largest
    /// real recordings seen (a few hundred MB for hours of a busy page).
    pub max_input_bytes: u64,
    /// Maximum decompressed size in bytes of one posthog-js compressed field. The default is
    /// 256 MiB.
    pub max_field_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            max_depth: 1000,
            max_input_bytes: 1 << 30,
            max_field_bytes: 256 << 20,
        }
    }
}

/// Failure to load a recording. Every message names the input and the cause.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("cannot read recording {name}: {source}")]
    Io {
        name: String,
        #[source]
        source: io::Error,
    },
    /// The input is not JSON.
    #[error(
        "cannot read recording {name}: invalid JSON at line {line}, column {column}: {message}; \
         expected rrweb events as JSON"
    )]
    Syntax {
        name: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// The JSON ends in the middle of a value.
    #[error(
        "cannot read recording {name}: the JSON ends early at line {line}, column {column}; \
         the file looks truncated"
    )]
    Truncated {
        name: String,
        line: usize,
        column: usize,
    },
    /// Valid JSON of a shape no supported format has.
    #[error(
        "cannot read recording {name}: {detail}; expected an rrweb event array, a PostHog \
         export or PostHog blob lines"
    )]
    Shape { name: String, detail: String },
    /// A PostHog export with a `version` this build does not read.
    #[error(
        "cannot read recording {name}: unsupported PostHog export version {version:?}; \
         supported versions are \"2023-04-28\" and \"2022-12-02\""
    )]
    UnsupportedVersion { name: String, version: String },
    /// The input contains no events.
    #[error("cannot read recording {name}: it contains no events")]
    Empty { name: String },
    /// An event lacks a field every rrweb event has, or the field has the wrong type.
    #[error(
        "cannot read recording {name}: event {index} has no numeric `{field}` field; every \
         rrweb event needs `type`, `data` and `timestamp`"
    )]
    MissingField {
        name: String,
        index: usize,
        field: &'static str,
    },
    /// A posthog-js compressed field could not be decoded.
    #[error("cannot read recording {name}: event {index} has invalid compressed data: {detail}")]
    Compressed {
        name: String,
        index: usize,
        detail: String,
    },
    /// Decompressed input passed a size bound of [`LoadOptions`].
    #[error(
        "cannot read recording {name}: {what} passes the limit of {limit} bytes after \
         decompression, so it is rejected as a likely decompression bomb"
    )]
    TooLarge {
        name: String,
        what: String,
        limit: u64,
    },
    /// An event nests deeper than [`LoadOptions::max_depth`].
    #[error(
        "cannot read recording {name}: event {index} nests arrays and objects deeper than the \
         limit of {limit} levels"
    )]
    TooDeep {
        name: String,
        index: usize,
        limit: usize,
    },
}

/// Loads a recording file in any supported format with the default [`LoadOptions`].
pub fn load(path: &Path) -> Result<Recording, LoadError> {
    load_with(path, &LoadOptions::default())
}

/// Loads a recording file in any supported format.
pub fn load_with(path: &Path, options: &LoadOptions) -> Result<Recording, LoadError> {
    let name = path.display().to_string();
    let io_error = |source| LoadError::Io {
        name: name.clone(),
        source,
    };
    // Opening a FIFO or a device would block or read forever, so only regular files are read.
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    if !metadata.is_file() {
        return Err(LoadError::Shape {
            name: name.clone(),
            detail: "not a regular file; give the path of a recording file".to_owned(),
        });
    }
    let file = File::open(path).map_err(io_error)?;
    let size = file.metadata().ok().map(|metadata| metadata.len());
    load_reader(&name, file, size, options)
}

/// Loads a recording from bytes already in memory; `name` appears in error messages.
pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<Recording, LoadError> {
    load_bytes_with(name, bytes, &LoadOptions::default())
}

/// Loads a recording from bytes already in memory with explicit bounds.
pub fn load_bytes_with(
    name: &str,
    bytes: &[u8],
    options: &LoadOptions,
) -> Result<Recording, LoadError> {
    load_reader(name, bytes, Some(bytes.len() as u64), options)
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const SNAPPY_STREAM_ID: &[u8] = b"\xff\x06\x00\x00sNaPpY";

/// Loads from any reader. `size` is the input's length when known. For plain input it sizes
/// the read buffer up front, so that a large document is not copied while the buffer grows.
fn load_reader<R: Read>(
    name: &str,
    reader: R,
    size: Option<u64>,
    options: &LoadOptions,
) -> Result<Recording, LoadError> {
    let io_error = |source| LoadError::Io {
        name: name.to_owned(),
        source,
    };
    let mut sniff = BufReader::with_capacity(1 << 16, reader);
    let head = sniff.fill_buf().map_err(io_error)?;
    let container = if head.starts_with(GZIP_MAGIC) {
        Container::Gzip
    } else if head.starts_with(SNAPPY_STREAM_ID) {
        Container::SnappyFramed
    } else {
        Container::Plain
    };
    let decoded: Box<dyn Read + '_> = match container {
        Container::Plain => Box::new(sniff),
        Container::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(sniff)),
        Container::SnappyFramed => Box::new(snap::read::FrameDecoder::new(sniff)),
    };
    let capped = CappedReader {
        inner: decoded,
        remaining: options.max_input_bytes,
        limit: options.max_input_bytes,
    };
    let mut reader = BufReader::with_capacity(1 << 20, capped);
    let mut assembler = Assembler::new(name, options);
    let mut state = Detected::default();
    // Reserved pages that are never written stay out of the resident set, so reserving the
    // whole size costs JSON-lines input nothing.
    let reserve = match container {
        Container::Plain => size.unwrap_or(0).min(options.max_input_bytes) as usize + 1,
        Container::Gzip | Container::SnappyFramed => 0,
    };
    read_tops(name, &mut reader, reserve, |top| {
        accept(&mut assembler, &mut state, name, top)
    })?;
    let format = state.format.ok_or_else(|| LoadError::Empty {
        name: name.to_owned(),
    })?;
    let recording = assembler.finish(format, container, state.session_id)?;
    tracing::info!(
        recording = name,
        session_id = %recording.session_id,
        format = ?recording.format,
        container = ?recording.container,
        windows = recording.windows.len(),
        events = recording.event_count(),
        "loaded recording"
    );
    Ok(recording)
}

/// Reads every top-level JSON value. JSON lines are parsed line by line. When the first line is
/// not a complete value, the input is one (pretty-printed) document and is parsed whole.
fn read_tops<R: BufRead>(
    name: &str,
    reader: &mut R,
    reserve: usize,
    mut accept: impl FnMut(Top) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let mut line = Vec::with_capacity(reserve);
    let mut line_number = 0usize;
    let mut seen_value = false;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|error| read_error(name, error))?;
        if read == 0 {
            return Ok(());
        }
        line_number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Top>(&line) {
            Ok(top) => {
                seen_value = true;
                accept(top)?;
            }
            // Only an incomplete first value means a multi-line document; an incomplete later
            // line of a JSON-lines file is a truncated line.
            Err(error) if error.is_eof() && !seen_value => {
                reader
                    .read_to_end(&mut line)
                    .map_err(|error| read_error(name, error))?;
                return read_document(name, &line, line_number - 1, accept);
            }
            Err(error) => return Err(json_error(name, &error, line_number - 1)),
        }
    }
}

fn read_document(
    name: &str,
    bytes: &[u8],
    line_offset: usize,
    mut accept: impl FnMut(Top) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Top>();
    for top in stream {
        let top = top.map_err(|error| json_error(name, &error, line_offset))?;
        accept(top)?;
    }
    Ok(())
}

fn json_error(name: &str, error: &serde_json::Error, line_offset: usize) -> LoadError {
    let name = name.to_owned();
    let line = error.line() + line_offset;
    let column = error.column();
    match error.classify() {
        serde_json::error::Category::Eof => LoadError::Truncated { name, line, column },
        serde_json::error::Category::Data => LoadError::Shape {
            name,
            detail: format!("line {line}, column {column}: {error}"),
        },
        _ => LoadError::Syntax {
            name,
            line,
            column,
            message: error.to_string(),
        },
    }
}

fn read_error(name: &str, error: io::Error) -> LoadError {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<InputTooLarge>())
    {
        Some(InputTooLarge(limit)) => LoadError::TooLarge {
            name: name.to_owned(),
            what: "the input".to_owned(),
            limit: *limit,
        },
        None => LoadError::Io {
            name: name.to_owned(),
            source: error,
        },
    }
}

/// The format and session id found in the top-level values read so far.
#[derive(Default)]
struct Detected {
    format: Option<Format>,
    session_id: Option<String>,
}

fn accept(
    assembler: &mut Assembler,
    state: &mut Detected,
    name: &str,
    top: Top,
) -> Result<(), LoadError> {
    let (format, events, window) = match top {
        Top::Events(events) => (Format::RrwebArray, events, None),
        Top::WindowEvent(window, event) => (Format::BlobV2Lines, vec![*event], Some(window)),
        Top::Object(object) => {
            let (format, events, window) = unwrap_object(name, state, *object, assembler)?;
            (format, events, window)
        }
    };
    state.format.get_or_insert(format);
    for event in events {
        assembler.push(event, window.as_ref())?;
    }
    Ok(())
}

type Unwrapped = (Format, Vec<wire::WireEvent>, Option<WindowKey>);

fn unwrap_object(
    name: &str,
    state: &mut Detected,
    object: TopObject,
    assembler: &mut Assembler,
) -> Result<Unwrapped, LoadError> {
    let shape_error = |detail: &str| LoadError::Shape {
        name: name.to_owned(),
        detail: detail.to_owned(),
    };
    if let Some(version) = object.version {
        let Some(DataField::Export(export)) = object.data else {
            return Err(shape_error(
                "a `version` object without an export `data` object",
            ));
        };
        if let Some(id) = export.id.filter(|id| !id.is_empty()) {
            state.session_id.get_or_insert(id);
        }
        return match version.as_str() {
            "2023-04-28" => {
                let snapshots = export
                    .snapshots
                    .ok_or_else(|| shape_error("export 2023-04-28 without `data.snapshots`"))?;
                Ok((Format::PostHogExportV2, snapshots, None))
            }
            "2022-12-02" => {
                let by_window = export.snapshots_by_window_id.ok_or_else(|| {
                    shape_error("export 2022-12-02 without `data.snapshotsByWindowId`")
                })?;
                for (window, events) in by_window {
                    let key = WindowKey(window);
                    for event in events {
                        assembler.push(event, Some(&key))?;
                    }
                }
                Ok((Format::PostHogExportV1, Vec::new(), None))
            }
            _ => Err(LoadError::UnsupportedVersion {
                name: name.to_owned(),
                version,
            }),
        };
    }
    match (object.data, object.result, object.events) {
        (Some(DataField::Events(events)), _, _) => {
            Ok((Format::BlobV1Lines, events, object.window_id))
        }
        (_, Some(events), _) => Ok((Format::LegacyResult, events, None)),
        (_, _, Some(events)) => Ok((Format::LegacyEvents, events, None)),
        _ => Err(shape_error(
            "an object with none of `data` (event array), `result`, `events` or `version`",
        )),
    }
}

/// The marker error a [`CappedReader`] returns once the limit is passed.
#[derive(Debug, thiserror::Error)]
#[error("decompressed input passes the limit of {0} bytes")]
struct InputTooLarge(u64);

/// Fails reads once more than `limit` bytes have come through, so a gzip or Snappy bomb stops
/// at the limit instead of filling memory.
struct CappedReader<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        match self.remaining.checked_sub(read as u64) {
            Some(remaining) => {
                self.remaining = remaining;
                Ok(read)
            }
            None => Err(io::Error::other(InputTooLarge(self.limit))),
        }
    }
}
