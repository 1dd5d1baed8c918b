//! The input tokens and cost of a request before it is sent (a dry run). Video tokens follow
//! the model's tokens per sampled frame. Text is counted at four characters per token, the
//! usual rule of thumb for English, so the result is an estimate. The `usageMetadata` of a real
//! call gives the exact count.

use serde::Serialize;

use super::prices::{FrameTokens, PriceTable};
use super::{GenerateRequest, MediaSettings, Turn};

/// Video delivery to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// One MP4 that the model samples at `MediaSettings::fps` (Gemini, or a video part).
    Video,
    /// Every rendered frame sent as an image (OpenAI-compatible servers).
    Frames,
}

/// Facts about the video known before it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VideoFacts {
    /// Length of the MP4 in seconds.
    pub duration_s: f64,
    /// Frames in the MP4 (and frame images).
    pub frame_count: usize,
}

/// The inputs of an estimate.
#[derive(Debug, Clone)]
pub struct EstimateInput<'a> {
    /// Model id.
    pub model: &'a str,
    /// Date the call would be made (`YYYY-MM-DD`), which picks the price.
    pub date: &'a str,
    /// The video, if one is sent.
    pub video: Option<VideoFacts>,
    /// Video delivery.
    pub delivery: Delivery,
    /// Sampling rate and resolution.
    pub media: MediaSettings,
    /// Characters of text sent (system text, turns, event log, schema).
    pub text_chars: usize,
    /// Output tokens to assume, since the answer's length is unknown before the call.
    pub expected_output_tokens: u64,
}

/// An estimate of one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// Model id.
    pub model: String,
    /// Video frames the model receives.
    pub frames_seen: u64,
    /// Estimated tokens of the video or frame images.
    pub video_tokens: u64,
    /// Estimated tokens of the text.
    pub text_tokens: u64,
    /// `video_tokens + text_tokens`.
    pub input_tokens: u64,
    /// Output tokens assumed.
    pub output_tokens: u64,
    /// Cost in US dollars, or `None` when the model has no price entry.
    pub cost_usd: Option<f64>,
}

/// Tokens of a short label sent before each frame image ("t=83.2s").
const FRAME_LABEL_TOKENS: u64 = 8;

/// Estimates the tokens and cost of a call. A model without a price entry is counted with
/// Gemini 3 frame tokens and gets no cost.
pub fn estimate(table: &PriceTable, input: &EstimateInput<'_>) -> Estimate {
    let price = table.lookup(input.model, input.date);
    let frame_tokens = price.map_or_else(FrameTokens::gemini_3, |entry| entry.frame_tokens);
    let per_frame = frame_tokens.at(input.media.resolution);
    let (frames_seen, video_tokens) = match (input.video, input.delivery) {
        (None, _) => (0, 0),
        (Some(video), Delivery::Video) => {
            let frames = (video.duration_s * input.media.fps).ceil().max(1.0) as u64;
            (frames, frames * per_frame)
        }
        (Some(video), Delivery::Frames) => {
            let frames = video.frame_count as u64;
            (frames, frames * (per_frame + FRAME_LABEL_TOKENS))
        }
    };
    let text_tokens = input.text_chars.div_ceil(4) as u64;
    let input_tokens = video_tokens + text_tokens;
    Estimate {
        model: input.model.to_string(),
        frames_seen,
        video_tokens,
        text_tokens,
        input_tokens,
        output_tokens: input.expected_output_tokens,
        cost_usd: price.map(|entry| entry.cost(input_tokens, input.expected_output_tokens)),
    }
}

/// Characters of text a request sends: system text, turns, event log and schema.
pub fn request_text_chars(request: &GenerateRequest) -> usize {
    let turns: usize = request
        .turns
        .iter()
        .map(|turn| match turn {
            Turn::User(text) | Turn::Model(text) => text.chars().count(),
        })
        .sum();
    request.system.chars().count()
        + turns
        + request.event_log.chars().count()
        + request.response_schema.to_string().chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::MediaResolution;

    fn input(delivery: Delivery, resolution: MediaResolution) -> EstimateInput<'static> {
        EstimateInput {
            model: "gemini-3.5-flash",
            date: "2026-12-04",
            video: Some(VideoFacts {
                duration_s: 120.0,
                frame_count: 240,
            }),
            delivery,
            media: MediaSettings {
                fps: 1.0,
                resolution,
            },
            text_chars: 4_000,
            expected_output_tokens: 1_000,
        }
    }

    #[test]
    fn video_high_tokens() {
        let result = estimate(
            &PriceTable::default(),
            &input(Delivery::Video, MediaResolution::High),
        );
        assert_eq!(result.video_tokens, 120 * 280);
    }

    #[test]
    fn video_low_tokens() {
        let result = estimate(
            &PriceTable::default(),
            &input(Delivery::Video, MediaResolution::Low),
        );
        assert_eq!(result.video_tokens, 120 * 70);
    }

    #[test]
    fn frames_count_every_image() {
        let result = estimate(
            &PriceTable::default(),
            &input(Delivery::Frames, MediaResolution::High),
        );
        assert_eq!(result.frames_seen, 240);
    }

    #[test]
    fn cost_from_table() {
        let result = estimate(
            &PriceTable::default(),
            &input(Delivery::Video, MediaResolution::High),
        );
        let expected = ((120 * 280 + 1_000) as f64 * 1.50 + 1_000.0 * 9.00) / 1e6;
        assert!((result.cost_usd.unwrap() - expected).abs() < 1e-12);
    }
}
