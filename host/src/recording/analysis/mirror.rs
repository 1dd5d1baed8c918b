//! A DOM mirror for one window: the node tree rebuilt from FullSnapshot and Mutation events.
//! It keeps only what names an element to a reader (tag, a few attributes, short text), so the
//! event log can describe the element a click hit as the page was at that moment.

mod parse;

use std::collections::HashMap;

use super::Target;

/// rrweb node id.
pub(super) type NodeId = i64;

/// The attributes the mirror keeps; the rest (styles, inlined CSS, data URLs) are skipped while
/// parsing.
#[derive(Debug, Clone, Default)]
pub(super) struct Attributes {
    pub id: Option<String>,
    pub class: Option<String>,
    pub role: Option<String>,
    pub href: Option<String>,
    pub input_type: Option<String>,
    pub placeholder: Option<String>,
    pub aria_label: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub alt: Option<String>,
    pub contenteditable: bool,
}

#[derive(Debug)]
pub(super) enum NodeKind {
    /// Attributes are boxed because text nodes, the most common kind, need none.
    Element {
        tag: String,
        attributes: Box<Attributes>,
    },
    Text(String),
    Other,
}

#[derive(Debug)]
pub(super) struct Node {
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    pub kind: NodeKind,
}

/// The node tree of one window.
#[derive(Debug, Default)]
pub(super) struct Mirror {
    nodes: HashMap<NodeId, Node>,
    /// Maximum text kept per text node, in characters.
    text_limit: usize,
}

/// Elements whose text is code or markup, not something a user reads.
const HIDDEN_TEXT_TAGS: [&str; 5] = ["script", "style", "noscript", "template", "head"];

impl Mirror {
    pub fn new(text_limit: usize) -> Self {
        Self {
            nodes: HashMap::new(),
            text_limit,
        }
    }

    /// Number of nodes held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(super) fn insert(&mut self, id: NodeId, kind: NodeKind, children: Vec<NodeId>) {
        for child in &children {
            if let Some(node) = self.nodes.get_mut(child) {
                node.parent = Some(id);
            }
        }
        self.nodes.insert(
            id,
            Node {
                parent: None,
                children,
                kind,
            },
        );
    }

    /// Attaches `id` under `parent`, before `next` when `next` is one of its children.
    /// Returns false when the parent is unknown.
    pub(super) fn attach(&mut self, id: NodeId, parent: NodeId, next: Option<NodeId>) -> bool {
        self.detach(id);
        let Some(parent_node) = self.nodes.get_mut(&parent) else {
            return false;
        };
        let position = next
            .and_then(|next| parent_node.children.iter().position(|child| *child == next))
            .unwrap_or(parent_node.children.len());
        parent_node.children.insert(position, id);
        if let Some(node) = self.nodes.get_mut(&id) {
            node.parent = Some(parent);
        }
        true
    }

    fn detach(&mut self, id: NodeId) {
        let parent = self.nodes.get(&id).and_then(|node| node.parent);
        if let Some(parent) = parent.and_then(|parent| self.nodes.get_mut(&parent)) {
            parent.children.retain(|child| *child != id);
        }
    }

    /// Removes `id` and its subtree. Returns false when the node is unknown.
    pub(super) fn remove(&mut self, id: NodeId) -> bool {
        if !self.nodes.contains_key(&id) {
            return false;
        }
        self.detach(id);
        let mut stack = vec![id];
        while let Some(current) = stack.pop() {
            if let Some(node) = self.nodes.remove(&current) {
                stack.extend(node.children);
            }
        }
        true
    }

    /// Replaces the text of a text node. Returns false when the node is unknown.
    pub(super) fn set_text(&mut self, id: NodeId, value: &str) -> bool {
        let limit = self.text_limit;
        match self.nodes.get_mut(&id) {
            Some(node) => {
                node.kind = NodeKind::Text(truncate_chars(value, limit).to_owned());
                true
            }
            None => false,
        }
    }

    /// Mutable attributes of an element, or `None` when the node is unknown or not an element.
    pub(super) fn attributes_mut(&mut self, id: NodeId) -> Option<&mut Attributes> {
        match &mut self.nodes.get_mut(&id)?.kind {
            NodeKind::Element { attributes, .. } => Some(attributes.as_mut()),
            _ => None,
        }
    }

    fn element(&self, id: NodeId) -> Option<(&str, &Attributes)> {
        match &self.nodes.get(&id)?.kind {
            NodeKind::Element { tag, attributes } => Some((tag, attributes.as_ref())),
            _ => None,
        }
    }

    /// The element at `id`, or the parent element when `id` is a text node.
    fn element_id(&self, id: NodeId) -> Option<NodeId> {
        let node = self.nodes.get(&id)?;
        match node.kind {
            NodeKind::Element { .. } => Some(id),
            _ => node.parent.filter(|parent| self.element(*parent).is_some()),
        }
    }

    fn ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        // The mirror is a tree, but a malformed recording could form a cycle; the step cap
        // keeps the walk finite.
        std::iter::successors(Some(id), |current| self.nodes.get(current)?.parent).take(4096)
    }

    /// Returns whether the element is a password input. The event log never shows values
    /// typed there.
    pub fn is_password(&self, id: NodeId) -> bool {
        self.element(id)
            .is_some_and(|(_, attributes)| attributes.input_type.as_deref() == Some("password"))
    }

    /// Returns whether the element edits text (text-like inputs, textarea, contenteditable). Triple
    /// clicks there select text, so they are not rage clicks.
    pub fn is_text_field(&self, id: NodeId) -> bool {
        let Some(element) = self.element_id(id) else {
            return false;
        };
        self.ancestors(element).any(|ancestor| {
            self.element(ancestor).is_some_and(|(tag, attributes)| {
                attributes.contenteditable
                    || tag == "textarea"
                    || (tag == "input"
                        && !matches!(
                            attributes.input_type.as_deref(),
                            Some("button" | "submit" | "reset" | "checkbox" | "radio" | "image")
                        ))
            })
        })
    }

    /// Returns whether the element is a form control (or a label, or inside contenteditable). Clicking
    /// one focuses or toggles it without changing the DOM, so such clicks are never dead.
    pub fn is_form_control(&self, id: NodeId) -> bool {
        let Some(element) = self.element_id(id) else {
            return false;
        };
        self.ancestors(element).any(|ancestor| {
            self.element(ancestor).is_some_and(|(tag, attributes)| {
                attributes.contenteditable
                    || matches!(tag, "input" | "textarea" | "select" | "option" | "label")
            })
        })
    }

    /// The `type` attribute of an input element, lower-cased.
    pub fn input_type(&self, id: NodeId) -> Option<&str> {
        self.element(id)?.1.input_type.as_deref()
    }

    /// The element's `href`, or that of its closest ancestor link.
    pub fn link_href(&self, id: NodeId) -> Option<&str> {
        self.ancestors(id)
            .filter_map(|ancestor| self.element(ancestor))
            .find_map(|(tag, attributes)| {
                (tag == "a").then_some(attributes.href.as_deref()).flatten()
            })
    }

    /// Describes the element at `id` (or the parent of a text node) for the event log.
    pub fn describe(&self, id: NodeId, max_chars: usize) -> Option<Target> {
        let element = self.element_id(id)?;
        let (tag, attributes) = self.element(element)?;
        // Form fields would show their value; the document and body would quote the page.
        let no_text = matches!(tag, "input" | "textarea" | "select" | "html" | "body");
        let text = if no_text {
            None
        } else {
            Some(self.visible_text(element, max_chars)).filter(|text| !text.is_empty())
        };
        let label = [
            &attributes.aria_label,
            &attributes.placeholder,
            &attributes.title,
            &attributes.alt,
            &attributes.name,
        ]
        .into_iter()
        .find_map(|value| value.as_deref().filter(|value| !value.trim().is_empty()))
        .map(|value| collapse_whitespace(value, max_chars));
        Some(Target {
            tag: tag.to_owned(),
            id: attributes.id.clone().filter(|id| !id.is_empty()),
            classes: attributes
                .class
                .as_deref()
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            text: text.or(label),
            role: attributes.role.clone(),
            href: self.link_href(element).map(str::to_owned),
        })
    }

    /// Text of the subtree in document order, whitespace collapsed, cut to `max_chars`.
    fn visible_text(&self, id: NodeId, max_chars: usize) -> String {
        let mut raw = String::new();
        let mut stack = vec![id];
        while let Some(current) = stack.pop() {
            if raw.len() > max_chars * 4 {
                break;
            }
            let Some(node) = self.nodes.get(&current) else {
                continue;
            };
            match &node.kind {
                NodeKind::Text(text) => {
                    raw.push_str(text);
                    raw.push(' ');
                }
                NodeKind::Element { tag, .. } if HIDDEN_TEXT_TAGS.contains(&tag.as_str()) => {}
                _ => stack.extend(node.children.iter().rev()),
            }
        }
        collapse_whitespace(&raw, max_chars)
    }
}

/// Collapses runs of whitespace to one space, trims, and cuts to `max_chars` characters with
/// an ellipsis when cut.
pub(super) fn collapse_whitespace(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut count = 0usize;
    let words = text
        .split_whitespace()
        .map(|word| word.chars().filter(|character| !is_private_use(*character)))
        .filter(|word| word.clone().next().is_some());
    for word in words {
        if count > 0 {
            if count >= max_chars {
                out.push('…');
                return out;
            }
            out.push(' ');
            count += 1;
        }
        for character in word {
            if count >= max_chars {
                out.push('…');
                return out;
            }
            out.push(character);
            count += 1;
        }
    }
    out
}

/// Icon fonts draw glyphs from the Unicode private use areas; as text they mean nothing.
fn is_private_use(character: char) -> bool {
    matches!(u32::from(character), 0xE000..=0xF8FF | 0xF0000..=0x10FFFF)
}

/// The first `limit` characters of `text`.
pub(super) fn truncate_chars(text: &str, limit: usize) -> &str {
    match text.char_indices().nth(limit) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(tag: &str) -> NodeKind {
        NodeKind::Element {
            tag: tag.to_owned(),
            attributes: Box::default(),
        }
    }

    #[test]
    fn describe_collects_text() {
        let mut mirror = Mirror::new(200);
        mirror.insert(3, NodeKind::Text("  Save \n changes ".into()), vec![]);
        mirror.insert(2, element("button"), vec![3]);
        let target = mirror.describe(3, 80).unwrap();
        assert_eq!(target.text.as_deref(), Some("Save changes"));
    }

    #[test]
    fn remove_drops_subtree() {
        let mut mirror = Mirror::new(200);
        mirror.insert(3, NodeKind::Text("x".into()), vec![]);
        mirror.insert(2, element("div"), vec![3]);
        mirror.insert(1, element("body"), vec![2]);
        mirror.remove(2);
        assert_eq!(mirror.len(), 1);
    }

    #[test]
    fn collapse_whitespace_cuts() {
        assert_eq!(collapse_whitespace("a  b c", 3), "a b…");
    }
}
