//! Active spans: user input (the sources of [`IncrementalSource::is_user_activity`]) grouped
//! so that no gap inside a span is longer than the inactivity threshold. Background mutations
//! never count, so a page that animates on its own still reads as idle.
//!
//! [`IncrementalSource::is_user_activity`]: crate::recording::IncrementalSource::is_user_activity

use super::ActiveSpan;

/// Groups sorted input instants (session ms) into spans. A lone input makes a span of length
/// zero: it marks an instant the renderer must show but adds no active time.
pub(super) fn spans(activity_ms: &[i64], threshold_ms: i64) -> Vec<ActiveSpan> {
    let mut spans: Vec<ActiveSpan> = Vec::new();
    for &at in activity_ms {
        match spans.last_mut() {
            Some(span) if at - span.end_ms <= threshold_ms => span.end_ms = span.end_ms.max(at),
            _ => spans.push(ActiveSpan {
                start_ms: at,
                end_ms: at,
            }),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_split_on_gap() {
        let spans = spans(&[0, 1_000, 5_000, 10_001, 12_000], 5_000);
        assert_eq!(
            spans,
            vec![
                ActiveSpan {
                    start_ms: 0,
                    end_ms: 5_000
                },
                ActiveSpan {
                    start_ms: 10_001,
                    end_ms: 12_000
                },
            ]
        );
    }

    #[test]
    fn spans_gap_equal_to_threshold_joins() {
        assert_eq!(spans(&[0, 5_000], 5_000).len(), 1);
    }

    #[test]
    fn spans_empty_input() {
        assert!(spans(&[], 5_000).is_empty());
    }
}
