//! The JSON shapes recordings arrive in, as serde types. Every event's `data` stays a
//! [`RawValue`], which serde_json skips over without recursion, so deep DOM trees cost no stack
//! here. The normalisation pass bounds their depth afterwards.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// One event as written in the input, before validation.
#[derive(Debug, Deserialize)]
pub(crate) struct WireEvent {
    #[serde(rename = "type")]
    pub event_type: Option<serde_json::Number>,
    pub timestamp: Option<serde_json::Number>,
    pub data: Option<Box<RawValue>>,
    #[serde(rename = "windowId")]
    pub window_id: Option<WindowKey>,
    pub cv: Option<String>,
}

/// A window id, written as a string by posthog-js and as a small integer by some exports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WindowKey(pub String);

impl<'de> Deserialize<'de> for WindowKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = WindowKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a window id (string or integer)")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<WindowKey, E> {
                Ok(WindowKey(value.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<WindowKey, E> {
                Ok(WindowKey(value.to_string()))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<WindowKey, E> {
                Ok(WindowKey(value.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<WindowKey, E> {
                Ok(WindowKey(String::new()))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// One top-level JSON value of the input. A file contains one (arrays, exports, wrappers) or one
/// per line (blob lines).
#[derive(Debug)]
pub(crate) enum Top {
    /// `[event, ...]`.
    Events(Vec<WireEvent>),
    /// `["<window id>", event]`.
    WindowEvent(WindowKey, Box<WireEvent>),
    /// An object; which of its fields are set decides the format.
    Object(Box<TopObject>),
}

/// The fields of every object-shaped format.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TopObject {
    pub version: Option<String>,
    pub data: Option<DataField>,
    pub window_id: Option<WindowKey>,
    pub result: Option<Vec<WireEvent>>,
    pub events: Option<Vec<WireEvent>>,
}

/// `data` is an event array in blob v1 lines and an object in PostHog exports.
#[derive(Debug)]
pub(crate) enum DataField {
    Events(Vec<WireEvent>),
    Export(ExportData),
}

/// `data` of a PostHog export. `person` is skipped because it contains personal data.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ExportData {
    pub id: Option<String>,
    pub snapshots: Option<Vec<WireEvent>>,
    #[serde(rename = "snapshotsByWindowId")]
    pub snapshots_by_window_id: Option<BTreeMap<String, Vec<WireEvent>>>,
}

impl<'de> Deserialize<'de> for DataField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DataVisitor;
        impl<'de> Visitor<'de> for DataVisitor {
            type Value = DataField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of rrweb events or a PostHog export object")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<DataField, A::Error> {
                let events = Vec::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(DataField::Events(events))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DataField, A::Error> {
                let export = ExportData::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(DataField::Export(export))
            }
        }
        deserializer.deserialize_any(DataVisitor)
    }
}

/// An element of a top-level array: an event, or the window id that opens a blob v2 line.
enum Item {
    Window(WindowKey),
    Event(Box<WireEvent>),
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an rrweb event object or a window id")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Item, E> {
                Ok(Item::Window(WindowKey(value.to_owned())))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Item, E> {
                Ok(Item::Window(WindowKey(value.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item, A::Error> {
                let event = WireEvent::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Item::Event(Box::new(event)))
            }
        }
        deserializer.deserialize_any(ItemVisitor)
    }
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rrweb events, a [window id, event] line or a wrapper object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top, A::Error> {
        let first = match seq.next_element::<Item>()? {
            None => return Ok(Top::Events(Vec::new())),
            Some(first) => first,
        };
        match first {
            Item::Window(key) => {
                let event = seq
                    .next_element::<WireEvent>()?
                    .ok_or_else(|| de::Error::custom("a [window id, event] line has no event"))?;
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(
                        "a [window id, event] line has more than two elements",
                    ));
                }
                Ok(Top::WindowEvent(key, Box::new(event)))
            }
            Item::Event(event) => {
                let mut events = Vec::with_capacity(seq.size_hint().unwrap_or(1024));
                events.push(*event);
                while let Some(event) = seq.next_element::<WireEvent>()? {
                    events.push(event);
                }
                Ok(Top::Events(events))
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Top, A::Error> {
        let object = TopObject::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Top::Object(Box::new(object)))
    }
}
