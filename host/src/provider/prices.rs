//! Model prices and the video tokens a model spends per frame, so that a request can be priced
//! before it is sent and an answer's usage turned into US dollars after.
//!
//! The default table is Google's paid-tier price list as of 2026-12-04 (US dollars per million
//! tokens; video is billed at the normal input rate). Prices change often, so a configuration
//! can replace or extend any entry.

use serde::{Deserialize, Serialize};

use super::{MediaResolution, Usage};

/// The price of one model over a span of dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelPrice {
    /// Model id as the API names it.
    pub model: String,
    /// US dollars per million input tokens (text, image and video).
    pub input_usd_per_mtok: f64,
    /// US dollars per million output tokens, thinking included.
    pub output_usd_per_mtok: f64,
    /// Higher prices for prompts above a token count (long-context pricing), if any.
    #[serde(default)]
    pub long_context: Option<LongContextPrice>,
    /// Last day (`YYYY-MM-DD`, UTC, inclusive) on which this price applies; `None` for open-ended.
    #[serde(default)]
    pub valid_until: Option<String>,
    /// Tokens the model spends per sampled video frame.
    #[serde(default = "FrameTokens::gemini_3")]
    pub frame_tokens: FrameTokens,
    /// Status or caveat shown by `replay-vision models`.
    #[serde(default)]
    pub note: String,
}

/// Prices that apply when the prompt exceeds `above_input_tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LongContextPrice {
    /// Prompt size above which these prices apply.
    pub above_input_tokens: u64,
    /// US dollars per million input tokens.
    pub input_usd_per_mtok: f64,
    /// US dollars per million output tokens.
    pub output_usd_per_mtok: f64,
}

/// Tokens per sampled video frame at each media resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameTokens {
    /// `MEDIA_RESOLUTION_LOW`.
    pub low: u64,
    /// `MEDIA_RESOLUTION_MEDIUM`.
    pub medium: u64,
    /// `MEDIA_RESOLUTION_HIGH`.
    pub high: u64,
    /// The model's default resolution.
    pub unspecified: u64,
}

impl FrameTokens {
    /// Gemini 3.x: 70 tokens per frame at low, medium and default, 280 at high
    /// (Gemini API media-resolution guide).
    pub fn gemini_3() -> Self {
        Self {
            low: 70,
            medium: 70,
            high: 280,
            unspecified: 70,
        }
    }

    /// Gemini 2.5: 66 tokens per frame at low, 258 otherwise.
    pub fn gemini_2_5() -> Self {
        Self {
            low: 66,
            medium: 258,
            high: 258,
            unspecified: 258,
        }
    }

    /// Tokens per frame at `resolution`.
    pub fn at(&self, resolution: MediaResolution) -> u64 {
        match resolution {
            MediaResolution::Low => self.low,
            MediaResolution::Medium => self.medium,
            MediaResolution::High => self.high,
            MediaResolution::Unspecified => self.unspecified,
        }
    }
}

/// All known prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    /// Entries in any order; a model may have several with different `valid_until` dates.
    pub entries: Vec<ModelPrice>,
}

impl Default for PriceTable {
    fn default() -> Self {
        let entry = |model: &str, input: f64, output: f64, note: &str| ModelPrice {
            model: model.to_string(),
            input_usd_per_mtok: input,
            output_usd_per_mtok: output,
            long_context: None,
            valid_until: None,
            frame_tokens: FrameTokens::gemini_3(),
            note: note.to_string(),
        };
        let mut flash_38_launch = entry("gemini-3.8-flash", 0.75, 3.75, "launch price");
        flash_38_launch.valid_until = Some("2026-12-31".to_string());
        let mut pro = entry("gemini-3.1-pro-preview", 2.00, 12.00, "preview");
        pro.long_context = Some(LongContextPrice {
            above_input_tokens: 200_000,
            input_usd_per_mtok: 4.00,
            output_usd_per_mtok: 18.00,
        });
        Self {
            entries: vec![
                flash_38_launch,
                entry("gemini-3.8-flash", 1.50, 7.50, ""),
                entry("gemini-3.5-flash", 1.50, 9.00, ""),
                entry("gemini-3.5-flash-lite", 0.30, 2.50, ""),
                pro,
            ],
        }
    }
}

impl PriceTable {
    /// Finds the entry for `model` that applies on `date` (`YYYY-MM-DD`). That is the dated entry
    /// with the earliest `valid_until` not before `date`, else the open-ended one.
    pub fn lookup(&self, model: &str, date: &str) -> Option<&ModelPrice> {
        // ISO dates compare correctly as strings.
        self.entries
            .iter()
            .filter(|entry| entry.model == model)
            .filter(|entry| {
                entry
                    .valid_until
                    .as_deref()
                    .is_none_or(|until| date <= until)
            })
            .min_by(|a, b| match (&a.valid_until, &b.valid_until) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
    }

    /// Replaces every entry of each model named in `overrides` by the override entries.
    pub fn apply_overrides(&mut self, overrides: Vec<ModelPrice>) {
        self.entries
            .retain(|entry| !overrides.iter().any(|other| other.model == entry.model));
        self.entries.extend(overrides);
    }

    /// Cost in US dollars of `usage` with `model` on `date`, or `None` for an unknown model.
    pub fn cost(&self, model: &str, date: &str, usage: &Usage) -> Option<f64> {
        Some(
            self.lookup(model, date)?
                .cost(usage.input_tokens, usage.output_tokens),
        )
    }

    /// Distinct model ids in the order first listed.
    pub fn models(&self) -> Vec<&str> {
        let mut models: Vec<&str> = Vec::new();
        for entry in &self.entries {
            if !models.contains(&entry.model.as_str()) {
                models.push(&entry.model);
            }
        }
        models
    }
}

impl ModelPrice {
    /// Cost in US dollars of a call with these token counts.
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        let (input_rate, output_rate) = match &self.long_context {
            Some(long) if input_tokens > long.above_input_tokens => {
                (long.input_usd_per_mtok, long.output_usd_per_mtok)
            }
            _ => (self.input_usd_per_mtok, self.output_usd_per_mtok),
        };
        (input_tokens as f64 * input_rate + output_tokens as f64 * output_rate) / 1_000_000.0
    }
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let date = time::OffsetDateTime::now_utc().date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_launch_price() {
        let table = PriceTable::default();
        let price = table.lookup("gemini-3.8-flash", "2026-12-04").unwrap();
        assert_eq!(price.input_usd_per_mtok, 0.75);
    }

    #[test]
    fn lookup_after_launch() {
        let table = PriceTable::default();
        let price = table.lookup("gemini-3.8-flash", "2027-01-01").unwrap();
        assert_eq!(price.input_usd_per_mtok, 1.50);
    }

    #[test]
    fn lookup_unknown_model() {
        assert!(PriceTable::default()
            .lookup("llava", "2026-12-04")
            .is_none());
    }

    #[test]
    fn cost_long_context() {
        let table = PriceTable::default();
        let price = table
            .lookup("gemini-3.1-pro-preview", "2026-12-04")
            .unwrap();
        let cost = price.cost(300_000, 1_000_000);
        assert!((cost - (1.2 + 18.0)).abs() < 1e-9, "{cost}");
    }

    #[test]
    fn override_replaces_model() {
        let mut table = PriceTable::default();
        let mut custom = table.entries[2].clone();
        custom.input_usd_per_mtok = 9.0;
        table.apply_overrides(vec![custom]);
        let price = table.lookup("gemini-3.5-flash", "2026-12-04").unwrap();
        assert_eq!(price.input_usd_per_mtok, 9.0);
    }

    #[test]
    fn today_is_iso_date() {
        assert_eq!(today().len(), 10);
    }
}
