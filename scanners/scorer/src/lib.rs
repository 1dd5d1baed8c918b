//! The `scorer` scanner type: where does the session fall on a scale?
//!
//! Config: `prompt` and `scale {min, max, label}` (default 1 to 5, no label; `min` must be
//! below `max`). Output: `reasoning` with `(t N)` citations, `score` (a number within the
//! scale), `label` (copied from the config, never written by the model) and `confidence`.

use replay_vision_guest::answer::Answer;
use replay_vision_guest::schema::{self, ObjectSchema};
use replay_vision_guest::{prompt, FieldKind, OutputField, ParsedOutput, Prompt, PromptInput};
use replay_vision_guest::{Scanner, ScannerError, TypeInfo};
use serde::Deserialize;
use serde_json::Value;

/// The `scorer` type.
pub struct Scorer;

/// The config of a scorer scanner.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What to score and how to read the scale.
    pub prompt: String,
    /// The scale; the default is 1 to 5.
    #[serde(default)]
    pub scale: Scale,
}

/// The range of scores, inclusive.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    /// What the score measures, such as `frustration`.
    #[serde(default)]
    pub label: Option<String>,
}

impl Default for Scale {
    fn default() -> Self {
        Self {
            min: 1.0,
            max: 5.0,
            label: None,
        }
    }
}

fn answer_schema(scale: &Scale) -> ObjectSchema {
    let description = match &scale.label {
        Some(label) => format!("The {label} score, from {} to {}.", scale.min, scale.max),
        None => format!("The score, from {} to {}.", scale.min, scale.max),
    };
    ObjectSchema::new()
        .field("reasoning", schema::reasoning())
        .field("score", schema::number(scale.min, scale.max, &description))
        .field("confidence", schema::confidence())
}

impl Scanner for Scorer {
    type Config = Config;

    fn describe() -> TypeInfo {
        let scale = ObjectSchema::new()
            .field("min", schema::any_number("The lowest score."))
            .field("max", schema::any_number("The highest score."))
            .optional("label", schema::string("What the score measures."));
        let config_schema = ObjectSchema::new()
            .field(
                "prompt",
                schema::string("What to score and how to read the scale."),
            )
            .optional_object("scale", scale.description("The default is 1 to 5."));
        TypeInfo {
            id: "scorer".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: "Scores each session on a numeric scale.".to_owned(),
            config_schema: config_schema.to_json(),
            output_fields: vec![
                OutputField::new("reasoning", FieldKind::Text, "Why, with cited moments."),
                OutputField::new("score", FieldKind::Number, "Within the scale."),
                OutputField::new("label", FieldKind::Text, "The scale's label, if any."),
                OutputField::new("confidence", FieldKind::Number, "0 to 1."),
            ],
        }
    }

    fn check_config(config: &Config) -> Vec<ScannerError> {
        let Scale { min, max, .. } = config.scale;
        let mut problems = Vec::new();
        if !min.is_finite() {
            problems.push(ScannerError::config(
                "scale.min",
                "`scale.min` must be a finite number",
            ));
        }
        if !max.is_finite() {
            problems.push(ScannerError::config(
                "scale.max",
                "`scale.max` must be a finite number",
            ));
        }
        if min >= max {
            let message = format!("`scale.min` ({min}) must be below `scale.max` ({max})");
            problems.push(ScannerError::config("scale.min", message));
        }
        problems
    }

    fn build_prompt(config: &Config, input: &PromptInput) -> Result<Prompt, ScannerError> {
        let Scale { min, max, label } = &config.scale;
        let measure = label.as_deref().unwrap_or("score");
        let instructions = format!(
            "Give a {measure} from {min} to {max}. Use the whole range: {min} is the lowest \
             the question describes and {max} the highest; anchor the middle on an ordinary \
             session."
        );
        Ok(prompt::standard(
            &config.prompt,
            &instructions,
            &input.session,
            &input.event_log,
            &answer_schema(&config.scale),
        ))
    }

    fn parse_output(config: &Config, _step: &str, raw: &str) -> Result<ParsedOutput, ScannerError> {
        let mut answer = Answer::parse(raw)?;
        answer.take_cited_text("reasoning")?;
        answer.take_number("score", config.scale.min, config.scale.max)?;
        if let Some(label) = &config.scale.label {
            answer.set("label", Value::from(label.as_str()));
        }
        answer.take_confidence()?;
        Ok(answer.finish())
    }
}

replay_vision_guest::export_scanner!(Scorer);

#[cfg(test)]
mod tests {
    use super::*;
    use replay_vision_guest::testing::Harness;
    use serde_json::json;

    type Test = Harness<Scorer>;

    fn config() -> Value {
        json!({
            "prompt": "How frustrated was the user?",
            "scale": {"min": 0, "max": 10, "label": "frustration"},
        })
    }

    fn answer(score: Value) -> String {
        json!({"reasoning": "Rage clicks (t 33).", "score": score, "confidence": 0.6}).to_string()
    }

    #[test]
    fn score_parses() {
        let output = Test::output(&config(), "answer", &answer(json!(7)));
        assert_eq!(output["score"], 7.0);
    }

    #[test]
    fn label_copied_from_config() {
        let output = Test::output(&config(), "answer", &answer(json!(7)));
        assert_eq!(output["label"], "frustration");
    }

    #[test]
    fn model_label_ignored() {
        let raw = json!({"reasoning": "r", "score": 1, "label": "joy", "confidence": 0.5});
        let output = Test::output(&config(), "answer", &raw.to_string());
        assert_eq!(output["label"], "frustration");
    }

    #[test]
    fn out_of_scale_reprompts() {
        let error = Test::parse_output(&config(), "answer", &answer(json!(11))).unwrap_err();
        assert_eq!(error.message, "`score` must be between 0 and 10; got 11");
    }

    #[test]
    fn text_score_reprompts() {
        let error = Test::parse_output(&config(), "answer", &answer(json!("high"))).unwrap_err();
        assert!(error.reprompt);
    }

    #[test]
    fn default_scale_one_to_five() {
        let config = json!({"prompt": "q"});
        let error = Test::parse_output(&config, "answer", &answer(json!(0))).unwrap_err();
        assert_eq!(error.message, "`score` must be between 1 and 5; got 0");
    }

    #[test]
    fn fractional_score_kept() {
        let output = Test::output(&config(), "answer", &answer(json!(2.5)));
        assert_eq!(output["score"], 2.5);
    }

    #[test]
    fn min_not_below_max_named() {
        let config = json!({"prompt": "q", "scale": {"min": 5, "max": 5}});
        let problems = Test::validate_config(&config).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("scale.min"));
    }

    #[test]
    fn scale_missing_max_named() {
        let config = json!({"prompt": "q", "scale": {"min": 1}});
        let problems = Test::validate_config(&config).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("scale.max"));
    }

    #[test]
    fn schema_bounds_from_scale() {
        let prompt = Test::build_prompt(&config(), "answer").unwrap();
        let schema: Value = serde_json::from_str(&prompt.answer_schema).unwrap();
        assert_eq!(schema["properties"]["score"]["maximum"], 10.0);
    }
}
