//! The `monitor` scanner type: does the session show something, yes or no?
//!
//! Config: `prompt` (the question) and `allow_inconclusive` (default false). Output:
//! `reasoning` (one paragraph with `(t N)` citations), `verdict` (`yes` | `no`, or
//! `inconclusive` when allowed) and `confidence` (0 to 1).

use replay_vision_guest::answer::Answer;
use replay_vision_guest::schema::{self, ObjectSchema};
use replay_vision_guest::{prompt, FieldKind, OutputField, ParsedOutput, Prompt, PromptInput};
use replay_vision_guest::{Scanner, ScannerError, TypeInfo};
use serde::Deserialize;

/// The `monitor` type.
pub struct Monitor;

/// The config of a monitor scanner.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The yes / no question.
    pub prompt: String,
    /// Lets the model answer `inconclusive` when the session cannot tell.
    #[serde(default)]
    pub allow_inconclusive: bool,
}

impl Config {
    fn verdicts(&self) -> &'static [&'static str] {
        if self.allow_inconclusive {
            &["yes", "no", "inconclusive"]
        } else {
            &["yes", "no"]
        }
    }
}

fn answer_schema(config: &Config) -> ObjectSchema {
    ObjectSchema::new()
        .field("reasoning", schema::reasoning())
        .field(
            "verdict",
            schema::one_of(config.verdicts(), "The answer to the question."),
        )
        .field("confidence", schema::confidence())
}

impl Scanner for Monitor {
    type Config = Config;

    fn describe() -> TypeInfo {
        let config_schema = ObjectSchema::new()
            .field(
                "prompt",
                schema::string("The yes / no question to ask about a session."),
            )
            .optional(
                "allow_inconclusive",
                schema::boolean("Allow the verdict `inconclusive`. The default is false."),
            );
        TypeInfo {
            id: "monitor".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: "Answers a yes / no question about each session.".to_owned(),
            config_schema: config_schema.to_json(),
            output_fields: vec![
                OutputField::new("reasoning", FieldKind::Text, "Why, with cited moments."),
                OutputField::new("verdict", FieldKind::Text, "yes, no or inconclusive."),
                OutputField::new("confidence", FieldKind::Number, "0 to 1."),
            ],
        }
    }

    fn build_prompt(config: &Config, input: &PromptInput) -> Result<Prompt, ScannerError> {
        let mut instructions = String::from(
            "Answer the question with a verdict of yes or no. Most sessions do not show what \
             the question looks for; answer yes only when the recording shows it.",
        );
        if config.allow_inconclusive {
            instructions.push_str(
                " Answer inconclusive when the recording cannot settle the question, for \
                 example because the relevant part of the page never appears.",
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
        answer.take_choice("verdict", config.verdicts())?;
        answer.take_confidence()?;
        Ok(answer.finish())
    }
}

replay_vision_guest::export_scanner!(Monitor);

#[cfg(test)]
mod tests {
    use super::*;
    use replay_vision_guest::testing::Harness;
    use serde_json::json;

    type Test = Harness<Monitor>;

    fn config() -> serde_json::Value {
        json!({"prompt": "Did the payment fail?"})
    }

    #[test]
    fn yes_parses() {
        let raw = r#"{"reasoning":"Pay failed (t 31).","verdict":"yes","confidence":0.8}"#;
        let output = Test::output(&config(), "answer", raw);
        assert_eq!(output["verdict"], "yes");
    }

    #[test]
    fn citation_stripped() {
        let raw = r#"{"reasoning":"Pay failed (t 31).","verdict":"yes","confidence":0.8}"#;
        let output = Test::output(&config(), "answer", raw);
        assert_eq!(output["reasoning"], "Pay failed.");
    }

    #[test]
    fn inconclusive_rejected_by_default() {
        let raw = r#"{"reasoning":"Unclear.","verdict":"inconclusive","confidence":0.2}"#;
        let error = Test::parse_output(&config(), "answer", raw).unwrap_err();
        assert!(error.reprompt);
    }

    #[test]
    fn inconclusive_allowed() {
        let config = json!({"prompt": "Did it fail?", "allow_inconclusive": true});
        let raw = r#"{"reasoning":"Unclear.","verdict":"inconclusive","confidence":0.2}"#;
        assert_eq!(
            Test::output(&config, "answer", raw)["verdict"],
            "inconclusive"
        );
    }

    #[test]
    fn missing_prompt_named() {
        let problems = Test::validate_config(&json!({"allow_inconclusive": true})).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("prompt"));
    }

    #[test]
    fn unknown_key_named() {
        let problems = Test::validate_config(&json!({"prompt": "q", "verbose": 1})).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("verbose"));
    }

    #[test]
    fn schema_reasoning_first() {
        let prompt = Test::build_prompt(&config(), "answer").unwrap();
        let schema: serde_json::Value = serde_json::from_str(&prompt.answer_schema).unwrap();
        assert_eq!(schema["propertyOrdering"][0], "reasoning");
    }

    #[test]
    fn schema_without_inconclusive() {
        let prompt = Test::build_prompt(&config(), "answer").unwrap();
        let schema: serde_json::Value = serde_json::from_str(&prompt.answer_schema).unwrap();
        assert_eq!(
            schema["properties"]["verdict"]["enum"],
            json!(["yes", "no"])
        );
    }

    #[test]
    fn prompt_contains_question() {
        let prompt = Test::build_prompt(&config(), "answer").unwrap();
        assert!(prompt.user.contains("Did the payment fail?"));
    }

    #[test]
    fn hostile_log_text_escaped() {
        let prompt = Test::build_prompt(&config(), "answer").unwrap();
        assert_eq!(prompt.user.matches("</event_log>").count(), 1);
    }

    #[test]
    fn unknown_step_rejected() {
        assert!(Test::build_prompt(&config(), "facets").is_err());
    }
}
