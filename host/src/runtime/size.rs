//! Byte counts of values crossing the guest boundary, for the input and output caps.
//!
//! A size is the sum of the string bytes a value carries plus a fixed cost per list entry
//! and per number, which is close to what the canonical ABI copies.

use super::bindings::{
    CitedField, CustomEvent, FilterCondition, FilterGroup, Filters, LogEntry, MatchDecision,
    OutputField, ParsedOutput, Prompt, PromptInput, ScannerError, Segment, SessionMeta, Step,
    StepOutput, TypeInfo,
};

/// Bytes a value occupies when copied across the boundary (an estimate, see the module docs).
pub(crate) trait Size {
    fn size(&self) -> usize;
}

/// The cost of a number, an enum or a list entry's header.
const SCALAR: usize = 8;

impl Size for String {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Size for str {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Size for () {
    fn size(&self) -> usize {
        0
    }
}

impl<T: Size> Size for Option<T> {
    fn size(&self) -> usize {
        self.as_ref().map_or(0, Size::size)
    }
}

impl<T: Size> Size for Vec<T> {
    fn size(&self) -> usize {
        self.iter().map(|item| item.size() + SCALAR).sum()
    }
}

impl<T: Size, E: Size> Size for Result<T, E> {
    fn size(&self) -> usize {
        match self {
            Ok(value) => value.size(),
            Err(error) => error.size(),
        }
    }
}

impl Size for ScannerError {
    fn size(&self) -> usize {
        self.field.size() + self.message.size() + SCALAR
    }
}

impl Size for TypeInfo {
    fn size(&self) -> usize {
        self.id.size()
            + self.version.size()
            + self.description.size()
            + self.config_schema.size()
            + self.output_fields.size()
    }
}

impl Size for OutputField {
    fn size(&self) -> usize {
        self.name.size() + self.description.size() + SCALAR
    }
}

impl Size for MatchDecision {
    fn size(&self) -> usize {
        self.reason.size() + SCALAR
    }
}

impl Size for Step {
    fn size(&self) -> usize {
        self.id.size() + self.description.size() + SCALAR
    }
}

impl Size for Prompt {
    fn size(&self) -> usize {
        self.system.size() + self.user.size() + self.answer_schema.size() + 2 * SCALAR
    }
}

impl Size for ParsedOutput {
    fn size(&self) -> usize {
        self.output.size() + self.citations.size()
    }
}

impl Size for CitedField {
    fn size(&self) -> usize {
        self.field.size() + self.segments.size()
    }
}

impl Size for Segment {
    fn size(&self) -> usize {
        match self {
            Segment::Text(text) => text.size(),
            Segment::Chip(_) => 2 * SCALAR,
        }
    }
}

impl Size for SessionMeta {
    fn size(&self) -> usize {
        self.session_id.size()
            + self.urls.size()
            + self.device_type.size()
            + self.browser.size()
            + self.os.size()
            + self.country.size()
            + self.custom_events.size()
            + 10 * SCALAR
    }
}

impl Size for CustomEvent {
    fn size(&self) -> usize {
        let properties: usize = self
            .properties
            .iter()
            .map(|property| property.key.size() + property.value.size() + SCALAR)
            .sum();
        self.name.size() + properties
    }
}

impl Size for LogEntry {
    fn size(&self) -> usize {
        self.window_id.size() + self.target.size() + self.text.size() + 2 * SCALAR
    }
}

impl Size for StepOutput {
    fn size(&self) -> usize {
        self.step.size() + self.output.size()
    }
}

impl Size for PromptInput {
    fn size(&self) -> usize {
        self.config.size()
            + self.step.size()
            + self.session.size()
            + self.event_log.size()
            + self.previous.size()
    }
}

impl Size for Filters {
    fn size(&self) -> usize {
        self.groups.size() + SCALAR
    }
}

impl Size for FilterGroup {
    fn size(&self) -> usize {
        self.conditions.size() + 2 * SCALAR
    }
}

impl Size for FilterCondition {
    fn size(&self) -> usize {
        let text = match self {
            FilterCondition::Url(url) => url.value.size(),
            FilterCondition::Event(event) => {
                event.name.size()
                    + event
                        .properties
                        .iter()
                        .map(|property| property.key.size() + property.value.size() + SCALAR)
                        .sum::<usize>()
            }
            FilterCondition::Attribute(attribute) => attribute.values.size(),
            FilterCondition::DurationSeconds(_)
            | FilterCondition::ActiveSeconds(_)
            | FilterCondition::Count(_)
            | FilterCondition::StartTimeMs(_) => 0,
        };
        text + 2 * SCALAR
    }
}
