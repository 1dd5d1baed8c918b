use super::*;
use crate::ErrorKind;

#[test]
fn fenced_answer_parses() {
    let mut answer = Answer::parse("```json\n{\"verdict\": \"yes\"}\n```").unwrap();
    assert_eq!(
        answer.take_choice("verdict", &["yes", "no"]).unwrap(),
        "yes"
    );
}

#[test]
fn prose_rejected_with_reprompt() {
    let error = Answer::parse("Sure! The verdict is yes.").unwrap_err();
    assert!(error.reprompt);
}

#[test]
fn prose_rejected_kind() {
    let error = Answer::parse("yes").unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidAnswer);
}

#[test]
fn array_rejected() {
    let error = Answer::parse("[1]").unwrap_err();
    assert!(error.message.contains("not an array"));
}

#[test]
fn missing_field_named() {
    let mut answer = Answer::parse("{}").unwrap();
    let error = answer.take_string("reasoning", None).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("reasoning"));
}

#[test]
fn choice_message_lists_allowed() {
    let mut answer = Answer::parse(r#"{"verdict":"maybe"}"#).unwrap();
    let error = answer.take_choice("verdict", &["yes", "no"]).unwrap_err();
    assert_eq!(
        error.message,
        r#"`verdict` must be one of "yes", "no"; got "maybe""#
    );
}

#[test]
fn number_out_of_range() {
    let mut answer = Answer::parse(r#"{"score":11}"#).unwrap();
    let error = answer.take_number("score", 0.0, 10.0).unwrap_err();
    assert_eq!(error.message, "`score` must be between 0 and 10; got 11");
}

#[test]
fn confidence_rounded() {
    let mut answer = Answer::parse(r#"{"confidence":0.87}"#).unwrap();
    assert_eq!(answer.take_confidence().unwrap(), 0.9);
}

#[test]
fn string_too_long() {
    let mut answer = Answer::parse(r#"{"title":"abcdef"}"#).unwrap();
    let error = answer.take_string("title", Some(5)).unwrap_err();
    assert_eq!(error.message, "`title` has 6 characters; the maximum is 5");
}

#[test]
fn strings_count_checked() {
    let mut answer = Answer::parse(r#"{"tags":[]}"#).unwrap();
    let error = answer.take_strings("tags", 1, 3).unwrap_err();
    assert_eq!(error.message, "`tags` must have 1 to 3 entries; got 0");
}

#[test]
fn optional_strings_default_empty() {
    let mut answer = Answer::parse("{}").unwrap();
    assert!(answer
        .take_strings("tags_freeform", 0, 5)
        .unwrap()
        .is_empty());
}

#[test]
fn untaken_fields_dropped() {
    let mut answer = Answer::parse(r#"{"verdict":"yes","extra":1}"#).unwrap();
    answer.take_choice("verdict", &["yes"]).unwrap();
    assert_eq!(answer.finish().output, r#"{"verdict":"yes"}"#);
}

#[test]
fn cited_text_recorded() {
    let mut answer = Answer::parse(r#"{"reasoning":"Stuck (t 4)."}"#).unwrap();
    answer.take_cited_text("reasoning").unwrap();
    let parsed = answer.finish();
    assert_eq!(parsed.citations[0].field, "reasoning");
}

#[test]
fn slug_of_phrase() {
    assert_eq!(slugify(" Account Management! "), "account_management");
}

#[test]
fn slug_collapses_runs() {
    assert_eq!(slugify("a -- b"), "a_b");
}
