//! Feeding the mirror from rrweb JSON. Serialized nodes are parsed straight into the mirror by a
//! seeded visitor, keeping only the attributes and text the mirror uses.
//!
//! The visitor recurses once per DOM level. serde_json's own limit of 128 levels is switched
//! off because real pages nest deeper. The loader has already rejected `data` nesting past
//! `LoadOptions::max_depth` (1000 by default), which bounds the recursion.
//!
//! NOTE: a caller that raises `max_depth` far above the default, or builds a `Recording` by
//! hand with deeper data, can exhaust the thread's stack here. At the default, a test parses
//! the deepest allowed tree on a 2 MiB test thread in a debug build.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Attributes, Mirror, NodeId, NodeKind};

/// Failure to apply an event. The caller logs it at debug level and goes on.
#[derive(Debug, thiserror::Error)]
pub(in crate::recording::analysis) enum ApplyError {
    #[error("malformed data: {0}")]
    Json(#[from] serde_json::Error),
}

impl Mirror {
    /// Replaces the whole tree with the FullSnapshot in `data` (`{node, initialOffset}`).
    pub fn load_snapshot(&mut self, data: &str) -> Result<(), ApplyError> {
        #[derive(Deserialize)]
        struct Snapshot<'a> {
            #[serde(borrow)]
            node: &'a RawValue,
        }
        let snapshot: Snapshot = serde_json::from_str(data)?;
        self.nodes.clear();
        self.parse_node(snapshot.node.get())?;
        Ok(())
    }

    fn parse_node(&mut self, json: &str) -> Result<Option<NodeId>, ApplyError> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        deserializer.disable_recursion_limit();
        let id = NodeSeed { mirror: self }.deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(id)
    }

    /// Applies a Mutation in rrweb's order: removes, adds, texts, attributes. Changes naming a
    /// node the mirror does not hold are skipped and counted in the returned number.
    pub fn apply_mutation(&mut self, data: &str) -> Result<usize, ApplyError> {
        let mutation: Mutation = serde_json::from_str(data)?;
        let mut missing = 0usize;
        for remove in &mutation.removes {
            missing += usize::from(!self.remove(remove.id));
        }
        for add in &mutation.adds {
            let Some(id) = self.parse_node(add.node.get())? else {
                continue;
            };
            missing += usize::from(!self.attach(id, add.parent_id, add.next_id));
        }
        for text in &mutation.texts {
            let value = text.value.as_deref().unwrap_or("");
            missing += usize::from(!self.set_text(text.id, value));
        }
        for change in mutation.attributes {
            match self.attributes_mut(change.id) {
                Some(attributes) => {
                    for (name, value) in change.attributes.0 {
                        attributes.set(&name, value);
                    }
                }
                None => missing += 1,
            }
        }
        Ok(missing)
    }
}

#[derive(Deserialize)]
struct Mutation<'a> {
    #[serde(default)]
    texts: Vec<TextChange>,
    #[serde(default)]
    attributes: Vec<AttributeChange>,
    #[serde(default)]
    removes: Vec<Remove>,
    #[serde(default, borrow)]
    adds: Vec<Add<'a>>,
}

#[derive(Deserialize)]
struct TextChange {
    id: NodeId,
    value: Option<String>,
}

#[derive(Deserialize)]
struct AttributeChange {
    id: NodeId,
    attributes: AttributeList,
}

#[derive(Deserialize)]
struct Remove {
    id: NodeId,
}

#[derive(Deserialize)]
struct Add<'a> {
    #[serde(rename = "parentId")]
    parent_id: NodeId,
    #[serde(rename = "nextId")]
    next_id: Option<NodeId>,
    #[serde(borrow)]
    node: &'a RawValue,
}

impl Attributes {
    /// Sets a kept attribute; `None` removes it. Other names are ignored.
    fn set(&mut self, name: &str, value: Option<String>) {
        let slot = match name {
            "id" => &mut self.id,
            "class" => &mut self.class,
            "role" => &mut self.role,
            "href" => &mut self.href,
            "type" => &mut self.input_type,
            "placeholder" => &mut self.placeholder,
            "aria-label" => &mut self.aria_label,
            "name" => &mut self.name,
            "title" => &mut self.title,
            "alt" => &mut self.alt,
            "contenteditable" => {
                self.contenteditable = value.is_some_and(|value| value != "false");
                return;
            }
            _ => return,
        };
        *slot = value.map(|value| value.to_ascii_lowercase_if(name == "type"));
    }
}

trait LowercaseIf {
    fn to_ascii_lowercase_if(self, condition: bool) -> String;
}

impl LowercaseIf for String {
    fn to_ascii_lowercase_if(self, condition: bool) -> String {
        if condition {
            self.to_ascii_lowercase()
        } else {
            self
        }
    }
}

/// The kept attributes of a map, as `(name, value)`; values other than strings, numbers and
/// `true` (style objects in mutations) count as removed.
struct AttributeList(Vec<(String, Option<String>)>);

const KEPT: [&str; 11] = [
    "id",
    "class",
    "role",
    "href",
    "type",
    "placeholder",
    "aria-label",
    "name",
    "title",
    "alt",
    "contenteditable",
];

impl<'de> Deserialize<'de> for AttributeList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = AttributeList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an attribute map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeList, A::Error> {
                let mut kept = Vec::new();
                while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if KEPT.contains(&name.as_ref()) {
                        let value = map.next_value::<AttributeValue>()?.0;
                        kept.push((name.into_owned(), value));
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(AttributeList(kept))
            }
        }
        deserializer.deserialize_map(ListVisitor)
    }
}

struct AttributeValue(Option<String>);

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = AttributeValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an attribute value")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<AttributeValue, E> {
                Ok(AttributeValue(Some(value.to_owned())))
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<AttributeValue, E> {
                Ok(AttributeValue(value.then(String::new)))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<AttributeValue, E> {
                Ok(AttributeValue(Some(value.to_string())))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<AttributeValue, E> {
                Ok(AttributeValue(Some(value.to_string())))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<AttributeValue, E> {
                Ok(AttributeValue(Some(value.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<AttributeValue, E> {
                Ok(AttributeValue(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeValue, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(AttributeValue(None))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Text content, cut to a length while parsing so big inline styles cost no allocation.
struct ShortText {
    limit: usize,
}

impl<'de> DeserializeSeed<'de> for ShortText {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ShortText {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("text content")
    }
    fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
        Ok(super::truncate_chars(value, self.limit).to_owned())
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum NodeField {
    Id,
    Type,
    TagName,
    Attributes,
    TextContent,
    ChildNodes,
    #[serde(other)]
    Other,
}

/// Parses one serialized node and its subtree into the mirror; the value is the node's id, or
/// `None` for a node without one.
struct NodeSeed<'m> {
    mirror: &'m mut Mirror,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Option<NodeId>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Option<NodeId>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an rrweb serialized node")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut id = None;
        let mut node_type = None;
        let mut tag = None;
        let mut attributes = Attributes::default();
        let mut text = None;
        let mut children = Vec::new();
        let text_limit = self.mirror.text_limit;
        while let Some(field) = map.next_key::<NodeField>()? {
            match field {
                NodeField::Id => id = Some(map.next_value::<NodeId>()?),
                NodeField::Type => node_type = Some(map.next_value::<u8>()?),
                NodeField::TagName => tag = Some(map.next_value::<String>()?.to_ascii_lowercase()),
                NodeField::Attributes => {
                    for (name, value) in map.next_value::<AttributeList>()?.0 {
                        attributes.set(&name, value);
                    }
                }
                NodeField::TextContent => {
                    text = Some(map.next_value_seed(ShortText { limit: text_limit })?)
                }
                NodeField::ChildNodes => {
                    children = map.next_value_seed(ChildrenSeed {
                        mirror: &mut *self.mirror,
                    })?
                }
                NodeField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(id) = id else {
            return Ok(None);
        };
        let kind = match (node_type, tag) {
            (Some(2), Some(tag)) => NodeKind::Element {
                tag,
                attributes: Box::new(attributes),
            },
            (Some(3), _) => NodeKind::Text(text.unwrap_or_default()),
            _ => NodeKind::Other,
        };
        self.mirror.insert(id, kind, children);
        Ok(Some(id))
    }
}

struct ChildrenSeed<'m> {
    mirror: &'m mut Mirror,
}

impl<'de> DeserializeSeed<'de> for ChildrenSeed<'_> {
    type Value = Vec<NodeId>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ChildrenSeed<'_> {
    type Value = Vec<NodeId>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of child nodes")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut children = Vec::new();
        while let Some(child) = seq.next_element_seed(NodeSeed {
            mirror: &mut *self.mirror,
        })? {
            children.extend(child);
        }
        Ok(children)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAPSHOT: &str = r#"{"node":{"type":0,"childNodes":[{"type":2,"tagName":"BUTTON","attributes":{"id":"save","class":"btn primary","style":"x"},"childNodes":[{"type":3,"textContent":"Save","id":3}],"id":2}],"id":1},"initialOffset":{"top":0,"left":0}}"#;

    #[test]
    fn snapshot_describes_button() {
        let mut mirror = Mirror::new(200);
        mirror.load_snapshot(SNAPSHOT).unwrap();
        let target = mirror.describe(2, 80).unwrap();
        assert_eq!(target.to_string(), r#"button#save.btn.primary "Save""#);
    }

    #[test]
    fn mutation_changes_text() {
        let mut mirror = Mirror::new(200);
        mirror.load_snapshot(SNAPSHOT).unwrap();
        let missing = mirror
            .apply_mutation(r#"{"source":0,"texts":[{"id":3,"value":"Saved"}]}"#)
            .unwrap();
        assert_eq!(missing, 0);
        assert_eq!(
            mirror.describe(3, 80).unwrap().text.as_deref(),
            Some("Saved")
        );
    }

    #[test]
    fn mutation_missing_parent_counts() {
        let mut mirror = Mirror::new(200);
        let data = r#"{"source":0,"adds":[{"parentId":99,"nextId":null,"node":{"type":3,"textContent":"x","id":5}}],"removes":[{"parentId":1,"id":77}]}"#;
        assert_eq!(mirror.apply_mutation(data).unwrap(), 2);
    }

    #[test]
    fn snapshot_deeper_than_serde_default() {
        let depth = 499;
        let mut json = String::new();
        for id in 0..depth {
            json.push_str(&format!(
                r#"{{"type":2,"tagName":"div","attributes":{{}},"id":{},"childNodes":["#,
                id + 10
            ));
        }
        json.push_str(r#"{"type":3,"textContent":"deep","id":1}"#);
        for _ in 0..depth {
            json.push_str("]}");
        }
        let data = format!(r#"{{"node":{json}}}"#);
        let mut mirror = Mirror::new(200);
        mirror.load_snapshot(&data).unwrap();
        assert_eq!(
            mirror.describe(10, 80).unwrap().text.as_deref(),
            Some("deep")
        );
    }
}
