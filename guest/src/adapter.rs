//! The bridge from the generated `scanner-type` exports to a [`Scanner`] implementation:
//! it parses the config JSON once per call and matches filters with the SDK's own rules.

use std::marker::PhantomData;

use crate::bindings::exports::replay_vision::scanner::scanner_type::Guest;
use crate::{config, filters, Scanner};
use crate::{Filters, MatchDecision, ParsedOutput, Prompt, PromptInput, ScannerError};
use crate::{SessionMeta, Step, TypeInfo};

/// Implements the component's exports for the scanner type `S`. Use it through
/// [`export_scanner!`](crate::export_scanner), or call its methods directly in native tests.
pub struct Adapter<S>(PhantomData<S>);

impl<S: Scanner> Adapter<S> {
    fn config(json: &str) -> Result<S::Config, ScannerError> {
        Self::checked_config(json).map_err(|mut problems| problems.swap_remove(0))
    }

    fn checked_config(json: &str) -> Result<S::Config, Vec<ScannerError>> {
        let parsed = config::parse::<S::Config>(json).map_err(|error| vec![error])?;
        let problems = S::check_config(&parsed);
        if problems.is_empty() {
            Ok(parsed)
        } else {
            Err(problems)
        }
    }
}

impl<S: Scanner> Guest for Adapter<S> {
    fn describe() -> TypeInfo {
        S::describe()
    }

    fn validate_config(config: String) -> Result<(), Vec<ScannerError>> {
        Self::checked_config(&config).map(|_| ())
    }

    fn matches(filters: Filters, session: SessionMeta) -> MatchDecision {
        filters::evaluate(&filters, &session)
    }

    fn steps(config: String) -> Result<Vec<Step>, ScannerError> {
        Ok(S::steps(&Self::config(&config)?))
    }

    fn build_prompt(input: PromptInput) -> Result<Prompt, ScannerError> {
        let config = Self::config(&input.config)?;
        let known = S::steps(&config);
        if !known.iter().any(|step| step.id == input.step) {
            return Err(unknown_step(&input.step, &known));
        }
        S::build_prompt(&config, &input)
    }

    fn parse_output(
        config: String,
        step: String,
        raw_answer: String,
    ) -> Result<ParsedOutput, ScannerError> {
        let config = Self::config(&config)?;
        let known = S::steps(&config);
        if !known.iter().any(|known| known.id == step) {
            return Err(unknown_step(&step, &known));
        }
        S::parse_output(&config, &step, &raw_answer)
    }
}

fn unknown_step(step: &str, known: &[Step]) -> ScannerError {
    let ids: Vec<&str> = known.iter().map(|step| step.id.as_str()).collect();
    ScannerError::input(format!(
        "unknown step `{step}`; this type's steps are: {}",
        ids.join(", ")
    ))
}
