//! The `classifier` scanner type: which tags of a fixed vocabulary describe the session?
//!
//! Config: `prompt`, `tags` (1 to 100 entries, each at most 100 characters, unique after
//! slugifying), `multi_label` (default true: several tags may apply) and
//! `allow_freeform_tags` (default false). Output: `reasoning` with `(t N)` citations,
//! `tags` (at least one vocabulary tag; exactly one unless `multi_label`), `tags_freeform`
//! (up to five snake_case slugs outside the vocabulary, only when allowed) and `confidence`.

use replay_vision_guest::answer::{slugify, Answer};
use replay_vision_guest::schema::{self, ObjectSchema};
use replay_vision_guest::{prompt, FieldKind, OutputField, ParsedOutput, Prompt, PromptInput};
use replay_vision_guest::{Scanner, ScannerError, TypeInfo};
use serde::Deserialize;
use serde_json::Value;

/// The `classifier` type.
pub struct Classifier;

/// The config of a classifier scanner.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What to classify the session by.
    pub prompt: String,
    /// The vocabulary.
    pub tags: Vec<String>,
    /// Whether several tags may apply at once.
    #[serde(default = "default_multi_label")]
    pub multi_label: bool,
    /// Whether the model may add tags of its own in `tags_freeform`.
    #[serde(default)]
    pub allow_freeform_tags: bool,
}

fn default_multi_label() -> bool {
    true
}

const MAX_TAGS: usize = 100;
const MAX_TAG_CHARS: usize = 100;
const MAX_FREEFORM_TAGS: usize = 5;

impl Config {
    fn max_tags(&self) -> usize {
        if self.multi_label {
            self.tags.len()
        } else {
            1
        }
    }

    /// The vocabulary tag whose slug equals `answer`'s slug, so `Account management`
    /// in an answer finds the tag `account_management`.
    fn find_tag(&self, answer: &str) -> Option<&str> {
        let wanted = slugify(answer);
        self.tags
            .iter()
            .find(|tag| slugify(tag) == wanted)
            .map(String::as_str)
    }
}

fn answer_schema(config: &Config) -> ObjectSchema {
    let vocabulary: Vec<&str> = config.tags.iter().map(String::as_str).collect();
    let tags = schema::array(
        schema::one_of(&vocabulary, "A tag of the vocabulary."),
        1,
        Some(config.max_tags()),
        "The tags that describe the session.",
    );
    let mut answer = ObjectSchema::new()
        .field("reasoning", schema::reasoning())
        .field("tags", tags);
    if config.allow_freeform_tags {
        let slug = schema::string("A lowercase snake_case tag outside the vocabulary.");
        let description = "Tags the vocabulary lacks; leave empty when it suffices.";
        answer = answer.field(
            "tags_freeform",
            schema::array(slug, 0, Some(MAX_FREEFORM_TAGS), description),
        );
    }
    answer.field("confidence", schema::confidence())
}

impl Scanner for Classifier {
    type Config = Config;

    fn describe() -> TypeInfo {
        let tag = schema::string_max("A tag.", MAX_TAG_CHARS);
        let config_schema = ObjectSchema::new()
            .field(
                "prompt",
                schema::string("What to classify each session by."),
            )
            .field(
                "tags",
                schema::array(tag, 1, Some(MAX_TAGS), "The vocabulary."),
            )
            .optional(
                "multi_label",
                schema::boolean("Several tags may apply. The default is true."),
            )
            .optional(
                "allow_freeform_tags",
                schema::boolean("The model may add its own tags. The default is false."),
            );
        TypeInfo {
            id: "classifier".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: "Tags each session from a fixed vocabulary.".to_owned(),
            config_schema: config_schema.to_json(),
            output_fields: vec![
                OutputField::new("reasoning", FieldKind::Text, "Why, with cited moments."),
                OutputField::new("tags", FieldKind::TextList, "Tags of the vocabulary."),
                OutputField::new("tags_freeform", FieldKind::TextList, "Tags of the model."),
                OutputField::new("confidence", FieldKind::Number, "0 to 1."),
            ],
        }
    }

    fn check_config(config: &Config) -> Vec<ScannerError> {
        let mut problems = Vec::new();
        if config.tags.is_empty() || config.tags.len() > MAX_TAGS {
            let message = format!(
                "`tags` needs 1 to {MAX_TAGS} entries; it has {}",
                config.tags.len()
            );
            problems.push(ScannerError::config("tags", message));
        }
        let mut slugs: Vec<String> = Vec::new();
        for (index, tag) in config.tags.iter().enumerate() {
            let field = format!("tags[{index}]");
            let slug = slugify(tag);
            if slug.is_empty() {
                problems.push(ScannerError::config(
                    &field,
                    "a tag needs a letter or digit",
                ));
            } else if tag.chars().count() > MAX_TAG_CHARS {
                let message = format!("the tag has more than {MAX_TAG_CHARS} characters");
                problems.push(ScannerError::config(&field, message));
            } else if slugs.contains(&slug) {
                let message = format!("the tag `{tag}` repeats an earlier tag (both are `{slug}`)");
                problems.push(ScannerError::config(&field, message));
            }
            slugs.push(slug);
        }
        problems
    }

    fn build_prompt(config: &Config, input: &PromptInput) -> Result<Prompt, ScannerError> {
        let vocabulary = config.tags.join(", ");
        let mut instructions = if config.multi_label {
            format!("Choose every tag that applies, at least one, from: {vocabulary}.")
        } else {
            format!("Choose exactly one tag, the one that fits best, from: {vocabulary}.")
        };
        if config.allow_freeform_tags {
            instructions.push_str(
                " If something important fits none of them, add up to five short lowercase \
                 snake_case tags in tags_freeform.",
            );
        }
        Ok(prompt::standard(
            &config.prompt,
            &instructions,
            &input.session,
            &input.event_log,
            &answer_schema(config),
        ))
    }

    fn parse_output(config: &Config, _step: &str, raw: &str) -> Result<ParsedOutput, ScannerError> {
        let mut answer = Answer::parse(raw)?;
        answer.take_cited_text("reasoning")?;
        let tags = vocabulary_tags(config, answer.take_strings("tags", 1, config.max_tags())?)?;
        answer.set("tags", Value::from(tags.clone()));
        if config.allow_freeform_tags {
            let freeform = answer.take_strings("tags_freeform", 0, MAX_FREEFORM_TAGS)?;
            answer.set(
                "tags_freeform",
                Value::from(freeform_tags(config, freeform)),
            );
        }
        answer.take_confidence()?;
        Ok(answer.finish())
    }
}

/// Maps answered tags to the vocabulary's spelling, without repeats.
fn vocabulary_tags(config: &Config, answered: Vec<String>) -> Result<Vec<String>, ScannerError> {
    let mut tags: Vec<String> = Vec::new();
    for answered in answered {
        let Some(tag) = config.find_tag(&answered) else {
            let message = format!(
                "`{answered}` is not in the vocabulary; use only: {}",
                config.tags.join(", ")
            );
            return Err(ScannerError::answer(Some("tags"), message));
        };
        if !tags.iter().any(|known| known == tag) {
            tags.push(tag.to_owned());
        }
    }
    Ok(tags)
}

/// Slugifies the model's own tags, dropping empty ones, repeats and vocabulary tags.
fn freeform_tags(config: &Config, answered: Vec<String>) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for slug in answered.iter().map(|tag| slugify(tag)) {
        let known = config.tags.iter().any(|tag| slugify(tag) == slug);
        if !slug.is_empty() && !known && !tags.contains(&slug) {
            tags.push(slug);
        }
    }
    tags
}

replay_vision_guest::export_scanner!(Classifier);

#[cfg(test)]
mod tests {
    use super::*;
    use replay_vision_guest::testing::Harness;
    use serde_json::json;

    type Test = Harness<Classifier>;

    fn config() -> Value {
        json!({
            "prompt": "What was the user doing?",
            "tags": ["browsing", "purchasing", "account_management"],
            "multi_label": false,
            "allow_freeform_tags": true,
        })
    }

    fn answer(tags: Value, freeform: Value) -> String {
        json!({"reasoning": "Paid (t 31).", "tags": tags, "tags_freeform": freeform,
               "confidence": 0.7})
        .to_string()
    }

    #[test]
    fn tag_parses() {
        let output = Test::output(
            &config(),
            "answer",
            &answer(json!(["purchasing"]), json!([])),
        );
        assert_eq!(output["tags"], json!(["purchasing"]));
    }

    #[test]
    fn tag_matched_by_slug() {
        let raw = answer(json!(["Account Management"]), json!([]));
        let output = Test::output(&config(), "answer", &raw);
        assert_eq!(output["tags"], json!(["account_management"]));
    }

    #[test]
    fn unknown_tag_reprompts() {
        let raw = answer(json!(["shopping"]), json!([]));
        let error = Test::parse_output(&config(), "answer", &raw).unwrap_err();
        assert!(error.reprompt);
    }

    #[test]
    fn unknown_tag_lists_vocabulary() {
        let raw = answer(json!(["shopping"]), json!([]));
        let error = Test::parse_output(&config(), "answer", &raw).unwrap_err();
        assert!(error
            .message
            .contains("browsing, purchasing, account_management"));
    }

    #[test]
    fn single_label_rejects_two() {
        let raw = answer(json!(["browsing", "purchasing"]), json!([]));
        let error = Test::parse_output(&config(), "answer", &raw).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("tags"));
    }

    #[test]
    fn freeform_slugified() {
        let raw = answer(
            json!(["browsing"]),
            json!(["Price Comparison", "price comparison"]),
        );
        let output = Test::output(&config(), "answer", &raw);
        assert_eq!(output["tags_freeform"], json!(["price_comparison"]));
    }

    #[test]
    fn freeform_drops_vocabulary() {
        let raw = answer(json!(["browsing"]), json!(["Purchasing"]));
        let output = Test::output(&config(), "answer", &raw);
        assert_eq!(output["tags_freeform"], json!([]));
    }

    #[test]
    fn freeform_absent_when_not_allowed() {
        let config = json!({"prompt": "q", "tags": ["a", "b"]});
        let raw = answer(json!(["a"]), json!(["c"]));
        let output = Test::output(&config, "answer", &raw);
        assert!(output.get("tags_freeform").is_none());
    }

    #[test]
    fn multi_label_default() {
        let config = json!({"prompt": "q", "tags": ["a", "b"]});
        let output = Test::output(&config, "answer", &answer(json!(["a", "b"]), json!([])));
        assert_eq!(output["tags"], json!(["a", "b"]));
    }

    #[test]
    fn empty_vocabulary_named() {
        let problems = Test::validate_config(&json!({"prompt": "q", "tags": []})).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("tags"));
    }

    #[test]
    fn duplicate_slug_named() {
        let config = json!({"prompt": "q", "tags": ["Sign up", "sign_up"]});
        let problems = Test::validate_config(&config).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("tags[1]"));
    }

    #[test]
    fn long_tag_named() {
        let config = json!({"prompt": "q", "tags": ["a", "x".repeat(101)]});
        let problems = Test::validate_config(&config).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("tags[1]"));
    }

    #[test]
    fn schema_single_label_max_one() {
        let prompt = Test::build_prompt(&config(), "answer").unwrap();
        let schema: Value = serde_json::from_str(&prompt.answer_schema).unwrap();
        assert_eq!(schema["properties"]["tags"]["maxItems"], 1);
    }

    #[test]
    fn schema_reasoning_first() {
        let prompt = Test::build_prompt(&config(), "answer").unwrap();
        let schema: Value = serde_json::from_str(&prompt.answer_schema).unwrap();
        assert_eq!(schema["propertyOrdering"][0], "reasoning");
    }
}
