//! Turns wire events into validated [`Event`]s grouped per window, then sorts, drops exact
//! duplicates, orders windows by their first event and derives the content hash.

use std::collections::HashMap;

use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::cv;
use super::normalize::normalize;
use super::wire::{WindowKey, WireEvent};
use super::{LoadError, LoadOptions};
use crate::recording::{Container, Event, EventType, Format, Recording, Window};

/// The largest distance from the Unix epoch a JavaScript `Date` can hold, in ms. rrweb writes
/// `Date.now()`, so a timestamp beyond it is not from a recorder, and rejecting it keeps every
/// later sum of timestamps far from overflow.
const MAX_TIMESTAMP_MS: i64 = 8_640_000_000_000_000;

pub(super) struct Assembler<'a> {
    name: &'a str,
    options: &'a LoadOptions,
    windows: Vec<Window>,
    index_of: HashMap<String, usize>,
    /// Events seen so far, in input order; error messages count from 0.
    next_index: usize,
    compressed_events: usize,
    /// Bytes produced by decoding compressed fields so far, held against
    /// [`LoadOptions::max_input_bytes`] so that many fields cannot add up to a bomb.
    decoded_bytes: u64,
}

impl<'a> Assembler<'a> {
    pub fn new(name: &'a str, options: &'a LoadOptions) -> Self {
        Self {
            name,
            options,
            windows: Vec::new(),
            index_of: HashMap::new(),
            next_index: 0,
            compressed_events: 0,
            decoded_bytes: 0,
        }
    }

    /// Validates one event and files it under its own `windowId`, else under `window` (the
    /// line's or export's window), else under the unnamed window.
    pub fn push(&mut self, wire: WireEvent, window: Option<&WindowKey>) -> Result<(), LoadError> {
        let index = self.next_index;
        self.next_index += 1;
        let window_id = wire
            .window_id
            .as_ref()
            .or(window)
            .map(|key| key.0.as_str())
            .unwrap_or("");
        let window_index = self.window_index(window_id);
        let event = self.validate(index, wire)?;
        self.windows[window_index].events.push(event);
        Ok(())
    }

    fn window_index(&mut self, id: &str) -> usize {
        if let Some(&index) = self.index_of.get(id) {
            return index;
        }
        let index = self.windows.len();
        self.windows.push(Window {
            id: id.to_owned(),
            events: Vec::new(),
        });
        self.index_of.insert(id.to_owned(), index);
        index
    }

    fn validate(&mut self, index: usize, wire: WireEvent) -> Result<Event, LoadError> {
        let missing = |field| LoadError::MissingField {
            name: self.name.to_owned(),
            index,
            field,
        };
        let code = wire
            .event_type
            .as_ref()
            .and_then(serde_json::Number::as_u64)
            .ok_or_else(|| missing("type"))?;
        let timestamp = wire
            .timestamp
            .as_ref()
            .and_then(|number| {
                number
                    .as_i64()
                    .or_else(|| number.as_f64().map(|ms| ms as i64))
            })
            .ok_or_else(|| missing("timestamp"))?;
        if !(-MAX_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&timestamp) {
            return Err(LoadError::Shape {
                name: self.name.to_owned(),
                detail: format!(
                    "event {index} has timestamp {timestamp}, outside the range of JavaScript \
                     dates (at most 8.64e15 ms from 1970); is this an rrweb recording?"
                ),
            });
        }
        let mut data = match wire.data {
            Some(data) => data,
            None => {
                tracing::debug!(
                    recording = self.name,
                    index,
                    "event without `data`; using {{}}"
                );
                RawValue::from_string("{}".to_owned()).expect("`{}` is JSON")
            }
        };
        if let Some(version) = wire.cv.as_deref() {
            data = self.decode(index, version, code, data)?;
        }
        let data = match normalize(data.get(), self.options.max_depth) {
            Ok(std::borrow::Cow::Borrowed(_)) => data,
            Ok(std::borrow::Cow::Owned(compact)) => {
                RawValue::from_string(compact).expect("normalising keeps JSON valid")
            }
            Err(_) => {
                return Err(LoadError::TooDeep {
                    name: self.name.to_owned(),
                    index,
                    limit: self.options.max_depth,
                })
            }
        };
        Ok(Event {
            timestamp,
            event_type: EventType::from_code(code),
            data,
        })
    }

    fn decode(
        &mut self,
        index: usize,
        version: &str,
        code: u64,
        data: Box<RawValue>,
    ) -> Result<Box<RawValue>, LoadError> {
        match cv::decode_data(version, code, &data, self.options.max_field_bytes) {
            Ok(Some(decoded)) => {
                self.compressed_events += 1;
                self.decoded_bytes += decoded.get().len() as u64;
                if self.decoded_bytes > self.options.max_input_bytes {
                    return Err(LoadError::TooLarge {
                        name: self.name.to_owned(),
                        what: format!("the compressed data up to event {index}"),
                        limit: self.options.max_input_bytes,
                    });
                }
                Ok(decoded)
            }
            Ok(None) => Ok(data),
            Err(cv::CvError::TooLarge { limit }) => Err(LoadError::TooLarge {
                name: self.name.to_owned(),
                what: format!("the compressed data of event {index}"),
                limit,
            }),
            Err(error) => Err(LoadError::Compressed {
                name: self.name.to_owned(),
                index,
                detail: error.to_string(),
            }),
        }
    }

    /// Sorts each window, drops exact duplicates and builds the [`Recording`].
    pub fn finish(
        mut self,
        format: Format,
        container: Container,
        session_id: Option<String>,
    ) -> Result<Recording, LoadError> {
        for window in &mut self.windows {
            window.events.sort_by_key(|event| event.timestamp);
            let before = window.events.len();
            drop_duplicates(&mut window.events);
            let dropped = before - window.events.len();
            if dropped > 0 {
                tracing::debug!(recording = self.name, window = %window.id, dropped, "dropped duplicate events");
            }
        }
        self.windows.retain(|window| !window.events.is_empty());
        if self.windows.is_empty() {
            return Err(LoadError::Empty {
                name: self.name.to_owned(),
            });
        }
        self.windows
            .sort_by_key(|window| window.events[0].timestamp);
        let content_hash = content_hash(&self.windows);
        let session_id = session_id.unwrap_or_else(|| content_hash[..32].to_owned());
        Ok(Recording {
            session_id,
            format,
            container,
            compressed_events: self.compressed_events,
            windows: self.windows,
            content_hash,
        })
    }
}

/// Removes events equal to an earlier event with the same timestamp. Input is sorted, so
/// duplicates sit in the same run of equal timestamps.
fn drop_duplicates(events: &mut Vec<Event>) {
    let mut kept: Vec<Event> = Vec::with_capacity(events.len());
    let mut run_start = 0usize;
    for event in events.drain(..) {
        if kept
            .last()
            .is_some_and(|last| last.timestamp != event.timestamp)
        {
            run_start = kept.len();
        }
        if !kept[run_start..].contains(&event) {
            kept.push(event);
        }
    }
    *events = kept;
}

fn content_hash(windows: &[Window]) -> String {
    let mut hasher = Sha256::new();
    for window in windows {
        hasher.update(b"window\0");
        hasher.update(window.id.as_bytes());
        hasher.update(b"\0");
        for event in &window.events {
            hasher.update(event.timestamp.to_le_bytes());
            hasher.update(event.event_type.code().to_le_bytes());
            hasher.update(event.data.get().as_bytes());
            hasher.update(b"\0");
        }
    }
    hex::encode(hasher.finalize())
}
