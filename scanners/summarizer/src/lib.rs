//! The `summarizer` scanner type: what happened in the session, in two model turns.
//!
//! Config: `prompt` (what to mention) and `length` (`short` | `medium` | `long`, default
//! `medium`). Step `summary` (required) outputs `title` (at most 120 characters), `summary`
//! with `(t N)` citations and `confidence`. Step `facets` (optional: the observation stands
//! without it) outputs `intent`, `outcome`, `friction_points` (lowercase, empty if none),
//! `keywords` (5 to 15, lowercase) and `confidence`; its prompt includes the summary.

use replay_vision_guest::answer::Answer;
use replay_vision_guest::schema::{self, ObjectSchema};
use replay_vision_guest::{prompt, FieldKind, OutputField, ParsedOutput, Prompt, PromptInput};
use replay_vision_guest::{Scanner, ScannerError, Step, TypeInfo};
use serde::Deserialize;
use serde_json::Value;

/// The `summarizer` type.
pub struct Summarizer;

/// The config of a summarizer scanner.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What the summary should cover.
    pub prompt: String,
    /// How long the summary is.
    #[serde(default)]
    pub length: Length,
}

/// The length of the summary.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Length {
    Short,
    #[default]
    Medium,
    Long,
}

impl Length {
    fn guidance(self) -> &'static str {
        match self {
            Length::Short => "1-2 sentences",
            Length::Medium => "1 paragraph",
            Length::Long => "3-5 paragraphs",
        }
    }
}

const SUMMARY: &str = "summary";
const FACETS: &str = "facets";
const MAX_TITLE_CHARS: usize = 120;
const MIN_KEYWORDS: usize = 5;
const MAX_KEYWORDS: usize = 15;
const MAX_FRICTION_POINTS: usize = 20;

fn summary_schema() -> ObjectSchema {
    ObjectSchema::new()
        .field(
            "title",
            schema::string_max("A title of about 80 characters.", MAX_TITLE_CHARS),
        )
        .field(
            "summary",
            schema::string("The summary, citing moments as (t N)."),
        )
        .field("confidence", schema::confidence())
}

fn facets_schema() -> ObjectSchema {
    let lowercase = schema::string("Lowercase.");
    ObjectSchema::new()
        .field(
            "intent",
            schema::string("What the user came to do, in one sentence."),
        )
        .field(
            "outcome",
            schema::string("How the session ended, in one sentence."),
        )
        .field(
            "friction_points",
            schema::array(
                lowercase.clone(),
                0,
                Some(MAX_FRICTION_POINTS),
                "Empty if none.",
            ),
        )
        .field(
            "keywords",
            schema::array(
                lowercase,
                MIN_KEYWORDS,
                Some(MAX_KEYWORDS),
                "No brand names.",
            ),
        )
        .field("confidence", schema::confidence())
}

impl Scanner for Summarizer {
    type Config = Config;

    fn describe() -> TypeInfo {
        let config_schema = ObjectSchema::new()
            .field("prompt", schema::string("What the summary should cover."))
            .optional(
                "length",
                schema::one_of(&["short", "medium", "long"], "The default is medium."),
            );
        let text = |name, description| OutputField::new(name, FieldKind::Text, description);
        let list = |name, description| OutputField::new(name, FieldKind::TextList, description);
        TypeInfo {
            id: "summarizer".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: "Summarises each session, then tags its intent, outcome and friction."
                .to_owned(),
            config_schema: config_schema.to_json(),
            output_fields: vec![
                text("title", "At most 120 characters."),
                text("summary", "With cited moments."),
                text("intent", "One sentence (facets step)."),
                text("outcome", "One sentence (facets step)."),
                list("friction_points", "Lowercase (facets step)."),
                list("keywords", "5 to 15, lowercase (facets step)."),
                OutputField::new("confidence", FieldKind::Number, "0 to 1."),
            ],
        }
    }

    fn steps(_config: &Config) -> Vec<Step> {
        vec![
            Step {
                id: SUMMARY.to_owned(),
                description: "Title and summary.".to_owned(),
                required: true,
            },
            Step {
                id: FACETS.to_owned(),
                description: "Intent, outcome, friction points and keywords.".to_owned(),
                required: false,
            },
        ]
    }

    fn build_prompt(config: &Config, input: &PromptInput) -> Result<Prompt, ScannerError> {
        let (instructions, schema) = if input.step == SUMMARY {
            let instructions = format!(
                "Write a title and a summary of {} of what the user did. Be concrete and \
                 avoid speculation.",
                config.length.guidance()
            );
            (instructions, summary_schema())
        } else {
            (facets_instructions(input)?, facets_schema())
        };
        Ok(prompt::standard(
            &config.prompt,
            &instructions,
            &input.session,
            &input.event_log,
            &schema,
        ))
    }

    fn parse_output(_config: &Config, step: &str, raw: &str) -> Result<ParsedOutput, ScannerError> {
        let mut answer = Answer::parse(raw)?;
        if step == SUMMARY {
            answer.take_string("title", Some(MAX_TITLE_CHARS))?;
            answer.take_cited_text("summary")?;
        } else {
            answer.take_string("intent", None)?;
            answer.take_string("outcome", None)?;
            let friction = answer.take_strings("friction_points", 0, MAX_FRICTION_POINTS)?;
            answer.set("friction_points", lowercase(friction));
            let keywords = answer.take_strings("keywords", MIN_KEYWORDS, MAX_KEYWORDS)?;
            answer.set("keywords", lowercase(keywords));
        }
        answer.take_confidence()?;
        Ok(answer.finish())
    }
}

/// The facets step builds on the summary step's output, which the host passes back.
fn facets_instructions(input: &PromptInput) -> Result<String, ScannerError> {
    let summary = input
        .previous
        .iter()
        .find(|previous| previous.step == SUMMARY)
        .ok_or_else(|| ScannerError::input("the facets step needs the summary step's output"))?;
    let summary: Value = serde_json::from_str(&summary.output)
        .map_err(|error| ScannerError::input(format!("the summary output is not JSON: {error}")))?;
    let text = summary["summary"].as_str().unwrap_or_default();
    Ok(format!(
        "You already summarised this session as follows.\n<summary>\n{}\n</summary>\n\
         Now describe its facets: the user's intent and the outcome in one sentence each, \
         the friction points (lowercase, empty if none) and 5 to 15 lowercase keywords \
         without brand names.",
        prompt::escape(text)
    ))
}

fn lowercase(items: Vec<String>) -> Value {
    let mut unique: Vec<String> = Vec::new();
    for item in items.into_iter().map(|item| item.to_lowercase()) {
        if !item.is_empty() && !unique.contains(&item) {
            unique.push(item);
        }
    }
    Value::from(unique)
}

replay_vision_guest::export_scanner!(Summarizer);

#[cfg(test)]
mod tests {
    use super::*;
    use replay_vision_guest::testing::{prompt_input, Harness};
    use replay_vision_guest::StepOutput;
    use serde_json::json;

    type Test = Harness<Summarizer>;

    fn config() -> Value {
        json!({"prompt": "Mention the pages and any errors.", "length": "short"})
    }

    fn facets() -> Value {
        json!({
            "intent": "Buy a plan.",
            "outcome": "Payment failed.",
            "friction_points": ["Payment Error", "payment error"],
            "keywords": ["Checkout", "payment", "error", "retry", "cart"],
            "confidence": 0.7,
        })
    }

    #[test]
    fn two_steps() {
        let steps = Test::steps(&config()).unwrap();
        let ids: Vec<&str> = steps.iter().map(|step| step.id.as_str()).collect();
        assert_eq!(ids, ["summary", "facets"]);
    }

    #[test]
    fn facets_optional() {
        let steps = Test::steps(&config()).unwrap();
        assert!(!steps[1].required);
    }

    #[test]
    fn summary_parses() {
        let raw = json!({"title": "Failed checkout", "summary": "Paid (t 31).", "confidence": 0.8});
        let output = Test::output(&config(), "summary", &raw.to_string());
        assert_eq!(output["summary"], "Paid.");
    }

    #[test]
    fn long_title_reprompts() {
        let raw = json!({"title": "x".repeat(121), "summary": "s", "confidence": 0.8});
        let error = Test::parse_output(&config(), "summary", &raw.to_string()).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("title"));
    }

    #[test]
    fn facets_lowercased() {
        let output = Test::output(&config(), "facets", &facets().to_string());
        assert_eq!(output["keywords"][0], "checkout");
    }

    #[test]
    fn friction_deduplicated() {
        let output = Test::output(&config(), "facets", &facets().to_string());
        assert_eq!(output["friction_points"], json!(["payment error"]));
    }

    #[test]
    fn too_few_keywords() {
        let mut raw = facets();
        raw["keywords"] = json!(["a", "b"]);
        let error = Test::parse_output(&config(), "facets", &raw.to_string()).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("keywords"));
    }

    #[test]
    fn facets_prompt_quotes_summary() {
        let previous = vec![StepOutput {
            step: "summary".to_owned(),
            output: json!({"summary": "The user failed to pay."}).to_string(),
        }];
        let input = prompt_input(&config(), "facets", previous);
        let prompt = Test::build_prompt_with(input).unwrap();
        assert!(prompt.system.contains("The user failed to pay."));
    }

    #[test]
    fn facets_prompt_needs_summary() {
        let error = Test::build_prompt(&config(), "facets").unwrap_err();
        assert_eq!(error.kind, replay_vision_guest::ErrorKind::InvalidInput);
    }

    #[test]
    fn length_guidance_in_prompt() {
        let prompt = Test::build_prompt(&config(), "summary").unwrap();
        assert!(prompt.system.contains("1-2 sentences"));
    }

    #[test]
    fn unknown_length_named() {
        let config = json!({"prompt": "q", "length": "huge"});
        let problems = Test::validate_config(&config).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("length"));
    }
}
