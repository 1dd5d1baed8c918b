//! The `checklist` scanner type, the example of a custom type: several named yes / no
//! questions answered in one model call, so that a team checks a whole flow at the cost of
//! one observation.
//!
//! Config: `prompt` (context shared by the questions) and `questions`, 1 to 20 entries of
//! `{id, question}` where `id` is a unique lowercase snake_case name. Output: `reasoning`
//! with `(t N)` citations, one field per question id holding `yes` or `no`, `passed` (how
//! many are `yes`) and `confidence`. Flat fields keep each answer a property of its own once
//! the host flattens the output into an event.

use replay_vision_guest::answer::{slugify, Answer};
use replay_vision_guest::schema::{self, ObjectSchema};
use replay_vision_guest::{prompt, FieldKind, OutputField, ParsedOutput, Prompt, PromptInput};
use replay_vision_guest::{Scanner, ScannerError, TypeInfo};
use serde::Deserialize;
use serde_json::Value;

/// The `checklist` type.
pub struct Checklist;

/// The config of a checklist scanner.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Context for all questions: the product, the flow, what counts as evidence.
    pub prompt: String,
    /// The questions, answered in this order.
    pub questions: Vec<Question>,
}

/// One named yes / no question.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The output field name: lowercase snake_case.
    pub id: String,
    pub question: String,
}

const MAX_QUESTIONS: usize = 20;

/// Output fields every checklist has; a question id may not take one of these names.
const RESERVED: &[&str] = &["reasoning", "passed", "confidence"];

fn answer_schema(config: &Config) -> ObjectSchema {
    let mut answer = ObjectSchema::new().field("reasoning", schema::reasoning());
    for question in &config.questions {
        answer = answer.field(
            &question.id,
            schema::one_of(&["yes", "no"], &question.question),
        );
    }
    answer.field("confidence", schema::confidence())
}

impl Scanner for Checklist {
    type Config = Config;

    fn describe() -> TypeInfo {
        let question = ObjectSchema::new()
            .field(
                "id",
                schema::string("Lowercase snake_case; the output field name."),
            )
            .field("question", schema::string("A yes / no question."));
        let questions = serde_json::from_str(&question.to_json()).expect("a schema is JSON");
        let config_schema = ObjectSchema::new()
            .field("prompt", schema::string("Context shared by all questions."))
            .field(
                "questions",
                schema::array(questions, 1, Some(MAX_QUESTIONS), "The checklist."),
            );
        TypeInfo {
            id: "checklist".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: "Answers several named yes / no questions in one call.".to_owned(),
            config_schema: config_schema.to_json(),
            output_fields: vec![
                OutputField::new("reasoning", FieldKind::Text, "Why, with cited moments."),
                OutputField::new("<question id>", FieldKind::Text, "yes or no, per question."),
                OutputField::new("passed", FieldKind::Number, "How many answers are yes."),
                OutputField::new("confidence", FieldKind::Number, "0 to 1."),
            ],
        }
    }

    fn check_config(config: &Config) -> Vec<ScannerError> {
        let count = config.questions.len();
        let mut problems = Vec::new();
        if count == 0 || count > MAX_QUESTIONS {
            let message = format!("`questions` needs 1 to {MAX_QUESTIONS} entries; it has {count}");
            problems.push(ScannerError::config("questions", message));
        }
        for (index, question) in config.questions.iter().enumerate() {
            let id = &question.id;
            let field = format!("questions[{index}].id");
            if slugify(id) != *id {
                let message = format!(
                    "`{id}` must be lowercase snake_case, such as `{}`",
                    slugify(id)
                );
                problems.push(ScannerError::config(&field, message));
            } else if RESERVED.contains(&id.as_str()) {
                let message = format!("`{id}` is an output field of every checklist; rename it");
                problems.push(ScannerError::config(&field, message));
            } else if config.questions[..index]
                .iter()
                .any(|earlier| earlier.id == *id)
            {
                problems.push(ScannerError::config(
                    &field,
                    format!("`{id}` is used twice"),
                ));
            }
            if question.question.trim().is_empty() {
                let field = format!("questions[{index}].question");
                problems.push(ScannerError::config(&field, "the question is blank"));
            }
        }
        problems
    }

    fn build_prompt(config: &Config, input: &PromptInput) -> Result<Prompt, ScannerError> {
        let mut instructions = String::from(
            "Answer each question of the checklist with yes or no, in its own field. Answer \
             yes only when the recording shows it; cite the deciding moment of each answer \
             in the reasoning.\nThe checklist:",
        );
        for question in &config.questions {
            instructions.push_str(&format!("\n- {}: {}", question.id, question.question));
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
        let mut passed = 0u32;
        for question in &config.questions {
            if answer.take_choice(&question.id, &["yes", "no"])? == "yes" {
                passed += 1;
            }
        }
        answer.set("passed", Value::from(passed));
        answer.take_confidence()?;
        Ok(answer.finish())
    }
}

replay_vision_guest::export_scanner!(Checklist);

#[cfg(test)]
mod tests {
    use super::*;
    use replay_vision_guest::testing::Harness;
    use serde_json::json;

    type Test = Harness<Checklist>;

    fn config() -> Value {
        json!({
            "prompt": "A shop's checkout flow.",
            "questions": [
                {"id": "reached_cart", "question": "Did the user open the cart?"},
                {"id": "paid", "question": "Did the payment succeed?"},
            ],
        })
    }

    fn answer(cart: &str, paid: &str) -> String {
        json!({"reasoning": "Cart (t 4), failed (t 31).", "reached_cart": cart, "paid": paid,
               "confidence": 0.8})
        .to_string()
    }

    #[test]
    fn answers_parse() {
        let output = Test::output(&config(), "answer", &answer("yes", "no"));
        assert_eq!(output["paid"], "no");
    }

    #[test]
    fn passed_counts_yes() {
        let output = Test::output(&config(), "answer", &answer("yes", "no"));
        assert_eq!(output["passed"], 1);
    }

    #[test]
    fn missing_answer_named() {
        let raw = json!({"reasoning": "r", "reached_cart": "yes", "confidence": 0.5});
        let error = Test::parse_output(&config(), "answer", &raw.to_string()).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("paid"));
    }

    #[test]
    fn maybe_rejected() {
        let error = Test::parse_output(&config(), "answer", &answer("maybe", "no")).unwrap_err();
        assert!(error.reprompt);
    }

    #[test]
    fn schema_has_question_fields() {
        let prompt = Test::build_prompt(&config(), "answer").unwrap();
        let schema: Value = serde_json::from_str(&prompt.answer_schema).unwrap();
        let order = json!(["reasoning", "reached_cart", "paid", "confidence"]);
        assert_eq!(schema["propertyOrdering"], order);
    }

    #[test]
    fn no_questions_named() {
        let problems = Test::validate_config(&json!({"prompt": "q", "questions": []})).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("questions"));
    }

    #[test]
    fn bad_id_named() {
        let config = json!({"prompt": "q", "questions": [{"id": "Paid?", "question": "Paid?"}]});
        let problems = Test::validate_config(&config).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("questions[0].id"));
    }

    #[test]
    fn reserved_id_named() {
        let config = json!({"prompt": "q", "questions": [{"id": "passed", "question": "x?"}]});
        let problems = Test::validate_config(&config).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("questions[0].id"));
    }

    #[test]
    fn duplicate_id_named() {
        let question = json!({"id": "paid", "question": "Paid?"});
        let config = json!({"prompt": "q", "questions": [question, question]});
        let problems = Test::validate_config(&config).unwrap_err();
        assert_eq!(problems[0].field.as_deref(), Some("questions[1].id"));
    }
}
