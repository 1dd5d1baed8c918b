//! JSON Schema builders for answer and config schemas.
//!
//! [`ObjectSchema`] keeps its properties in the order they were added and states that order
//! in `required` and in `propertyOrdering` (which Gemini reads), because the model should
//! write its reasoning before its answer. All object schemas forbid extra properties.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};

/// An object schema with ordered properties.
#[derive(Debug, Clone, Default)]
pub struct ObjectSchema {
    description: Option<String>,
    properties: Vec<(String, Property)>,
}

#[derive(Debug, Clone)]
enum Property {
    Leaf(Value, bool),
    Object(ObjectSchema, bool),
}

impl ObjectSchema {
    /// Starts an object schema with no properties.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the description.
    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(description.to_owned());
        self
    }

    /// Adds a required property.
    pub fn field(mut self, name: &str, schema: Value) -> Self {
        self.properties
            .push((name.to_owned(), Property::Leaf(schema, true)));
        self
    }

    /// Adds a property that may be left out.
    pub fn optional(mut self, name: &str, schema: Value) -> Self {
        self.properties
            .push((name.to_owned(), Property::Leaf(schema, false)));
        self
    }

    /// Adds a required nested object.
    pub fn object(mut self, name: &str, schema: ObjectSchema) -> Self {
        self.properties
            .push((name.to_owned(), Property::Object(schema, true)));
        self
    }

    /// Adds a nested object that may be left out.
    pub fn optional_object(mut self, name: &str, schema: ObjectSchema) -> Self {
        self.properties
            .push((name.to_owned(), Property::Object(schema, false)));
        self
    }

    /// Serialises the schema as compact JSON text, properties in insertion order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a schema always serialises")
    }

    fn names(&self) -> Vec<&str> {
        self.properties
            .iter()
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

impl Serialize for ObjectSchema {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", "object")?;
        if let Some(description) = &self.description {
            map.serialize_entry("description", description)?;
        }
        map.serialize_entry("properties", &OrderedProperties(&self.properties))?;
        let required: Vec<&str> = self
            .properties
            .iter()
            .filter(|(_, property)| property.required())
            .map(|(name, _)| name.as_str())
            .collect();
        map.serialize_entry("required", &required)?;
        map.serialize_entry("propertyOrdering", &self.names())?;
        map.serialize_entry("additionalProperties", &false)?;
        map.end()
    }
}

impl Property {
    fn required(&self) -> bool {
        match self {
            Property::Leaf(_, required) | Property::Object(_, required) => *required,
        }
    }
}

struct OrderedProperties<'a>(&'a [(String, Property)]);

impl Serialize for OrderedProperties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, property) in self.0 {
            match property {
                Property::Leaf(value, _) => map.serialize_entry(name, value)?,
                Property::Object(object, _) => map.serialize_entry(name, object)?,
            }
        }
        map.end()
    }
}

/// Builds a string schema with a description.
pub fn string(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

/// Builds a string schema of at most `max_chars` characters.
pub fn string_max(description: &str, max_chars: usize) -> Value {
    json!({"type": "string", "description": description, "maxLength": max_chars})
}

/// Builds a string schema that allows only `values`.
pub fn one_of(values: &[&str], description: &str) -> Value {
    json!({"type": "string", "enum": values, "description": description})
}

/// Builds a boolean schema.
pub fn boolean(description: &str) -> Value {
    json!({"type": "boolean", "description": description})
}

/// Builds a number schema within `[min, max]`.
pub fn number(min: f64, max: f64, description: &str) -> Value {
    json!({"type": "number", "minimum": min, "maximum": max, "description": description})
}

/// Builds a number schema without bounds.
pub fn any_number(description: &str) -> Value {
    json!({"type": "number", "description": description})
}

/// Builds an array schema of `items` with `min_items` to `max_items` entries.
pub fn array(items: Value, min_items: usize, max_items: Option<usize>, description: &str) -> Value {
    let mut schema = json!({
        "type": "array",
        "items": items,
        "minItems": min_items,
        "description": description,
    });
    if let Some(max_items) = max_items {
        schema["maxItems"] = json!(max_items);
    }
    schema
}

/// Builds the `confidence` field every output carries: 0 to 1, one decimal.
pub fn confidence() -> Value {
    number(0.0, 1.0, "How sure you are, from 0 to 1 with one decimal.")
}

/// Builds the reasoning paragraph field, with inline `(t N)` citations.
pub fn reasoning() -> Value {
    string("One paragraph explaining the answer, citing moments as (t N).")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ObjectSchema {
        ObjectSchema::new()
            .field("reasoning", reasoning())
            .field("verdict", one_of(&["yes", "no"], "The answer."))
            .optional("confidence", confidence())
    }

    #[test]
    fn properties_keep_order() {
        let text = sample().to_json();
        let reasoning = text.find("\"reasoning\":{").unwrap();
        let verdict = text.find("\"verdict\":{").unwrap();
        assert!(reasoning < verdict);
    }

    #[test]
    fn required_skips_optional() {
        let value: Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(value["required"], json!(["reasoning", "verdict"]));
    }

    #[test]
    fn ordering_lists_all() {
        let value: Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(
            value["propertyOrdering"],
            json!(["reasoning", "verdict", "confidence"])
        );
    }

    #[test]
    fn extra_properties_forbidden() {
        let value: Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(value["additionalProperties"], json!(false));
    }

    #[test]
    fn array_max_items() {
        assert_eq!(array(string("x"), 1, Some(5), "tags")["maxItems"], json!(5));
    }
}
