//! The event outbox: every `$recording_observed` event is written here in the same transaction
//! as the observation it describes, one row per sink, and stays until that sink accepted it.
//! A sink that is down only delays delivery; the event's `uuid` makes a repeated delivery
//! harmless at the receiving end.

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};

use super::{now_ms, parse_json, Store, StoreError};

/// An analytics event as it leaves the system, in PostHog's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundEvent {
    /// The event id; equal to `properties.$insert_id` and to the observation id.
    pub uuid: String,
    pub event: String,
    pub distinct_id: String,
    /// RFC 3339 time of the event (the observation's completion).
    pub timestamp: String,
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// An event due for delivery to one sink.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: OutboundEvent,
    pub sink: String,
    pub attempts: i64,
}

impl Store {
    pub(super) async fn enqueue(
        transaction: &mut Transaction<'_, Any>,
        event: &OutboundEvent,
        sinks: &[String],
    ) -> Result<(), StoreError> {
        let payload = serde_json::to_string(event).map_err(|source| StoreError::Json {
            column: "outbox.payload",
            source,
        })?;
        let now = now_ms();
        for sink in sinks {
            sqlx::query(
                "INSERT INTO outbox (event_uuid, sink, payload, next_attempt_at_ms, \
                 created_at_ms) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (event_uuid, sink) DO NOTHING",
            )
            .bind(&event.uuid)
            .bind(sink)
            .bind(&payload)
            .bind(now)
            .bind(now)
            .execute(&mut **transaction)
            .await?;
        }
        Ok(())
    }

    /// Events whose next attempt is due, oldest first.
    pub async fn due_deliveries(&self, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT sink, payload, attempts FROM outbox \
             WHERE delivered_at_ms IS NULL AND next_attempt_at_ms <= $1 \
             ORDER BY created_at_ms, event_uuid, sink LIMIT $2",
        )
        .bind(now_ms())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut deliveries = Vec::with_capacity(rows.len());
        for row in rows {
            let payload: String = row.try_get("payload")?;
            let event = serde_json::from_value(parse_json("outbox.payload", &payload)?).map_err(
                |source| StoreError::Json {
                    column: "outbox.payload",
                    source,
                },
            )?;
            deliveries.push(Delivery {
                event,
                sink: row.try_get("sink")?,
                attempts: row.try_get("attempts")?,
            });
        }
        Ok(deliveries)
    }

    /// Records that `sink` accepted the event.
    pub async fn mark_delivered(&self, event_uuid: &str, sink: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET delivered_at_ms = $1, attempts = attempts + 1, last_error = NULL \
             WHERE event_uuid = $2 AND sink = $3",
        )
        .bind(now_ms())
        .bind(event_uuid)
        .bind(sink)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed delivery and when to try again.
    pub async fn mark_delivery_failed(
        &self,
        event_uuid: &str,
        sink: &str,
        error: &str,
        retry_in_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at_ms = $2 \
             WHERE event_uuid = $3 AND sink = $4",
        )
        .bind(error)
        .bind(now_ms() + retry_in_ms)
        .bind(event_uuid)
        .bind(sink)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Counts the deliveries still waiting, for every sink together.
    pub async fn undelivered_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE delivered_at_ms IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Inserts an event into the store's own `events` table; a repeat of the same uuid is a
    /// no-op.
    pub async fn insert_event(&self, event: &OutboundEvent) -> Result<(), StoreError> {
        let timestamp_ms = time::OffsetDateTime::parse(
            &event.timestamp,
            &time::format_description::well_known::Rfc3339,
        )
        .map(|at| (at.unix_timestamp_nanos() / 1_000_000) as i64)
        .unwrap_or_else(|_| now_ms());
        sqlx::query(
            "INSERT INTO events (uuid, event, distinct_id, timestamp_ms, properties) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (uuid) DO NOTHING",
        )
        .bind(&event.uuid)
        .bind(&event.event)
        .bind(&event.distinct_id)
        .bind(timestamp_ms)
        .bind(serde_json::Value::Object(event.properties.clone()).to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Events in the store's `events` table with this name, oldest first.
    pub async fn events(&self, name: &str) -> Result<Vec<OutboundEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT uuid, event, distinct_id, timestamp_ms, properties FROM events \
             WHERE event = $1 ORDER BY timestamp_ms, uuid",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let properties: String = row.try_get("properties")?;
                let timestamp_ms: i64 = row.try_get("timestamp_ms")?;
                let properties = match parse_json("events.properties", &properties)? {
                    serde_json::Value::Object(map) => map,
                    _ => serde_json::Map::new(),
                };
                Ok(OutboundEvent {
                    uuid: row.try_get("uuid")?,
                    event: row.try_get("event")?,
                    distinct_id: row.try_get("distinct_id")?,
                    timestamp: format_rfc3339(timestamp_ms),
                    properties,
                })
            })
            .collect()
    }
}

/// Formats milliseconds since the epoch as RFC 3339 (UTC).
pub fn format_rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
