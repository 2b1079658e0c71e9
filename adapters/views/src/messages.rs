//! Stream messages as a worker sees them: decoding, parking a message that cannot be applied,
//! and the state of a projection's consumer.

use async_nats::jetstream::{self, consumer};
use chronid_domain::public::PublicEnvelope;
use chronid_stream::{StreamConfig, HEADER_TX_ID};
use sqlx::{Connection, PgConnection};

use super::*;

pub(crate) async fn park_message(
    conn: &mut PgConnection,
    projection: Projection,
    msg: &jetstream::Message,
    stream_seq: u64,
    decoded: &Result<Incoming, String>,
    error: &BatchError,
    attempts: u32,
) -> Result<(), sqlx::Error> {
    let envelope: Option<serde_json::Value> = serde_json::from_slice(&msg.payload).ok();
    let env = decoded.as_ref().ok().map(|i| &i.envelope);
    let mut tx = conn.begin().await?;
    sqlx::query(
        "INSERT INTO projection_failed_events (projection, stream_seq, msg_id, event_type,
                aggregate_type, aggregate_id, sequence, position, error, attempts, envelope)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (projection, stream_seq) DO NOTHING",
    )
    .bind(projection.name())
    .bind(i64::try_from(stream_seq).unwrap_or(i64::MAX))
    .bind(
        msg.headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.as_str().to_string()),
    )
    .bind(env.map(|e| e.event_type.clone()))
    .bind(env.map(|e| e.aggregate_type.clone()))
    .bind(env.map(|e| e.aggregate_id.to_string()))
    .bind(env.map(|e| e.sequence))
    .bind(env.map(|e| e.position))
    .bind(error.to_string())
    .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
    .bind(envelope)
    .execute(&mut *tx)
    .await?;
    if let Ok(incoming) = decoded {
        save_checkpoint(&mut tx, projection, stream_seq, incoming.cursor, 0).await?;
    }
    tx.commit().await
}

/// The durable consumer's backlog as JetStream reports it (None when it does not exist yet).
pub async fn consumer_state(
    js: &jetstream::Context,
    stream: &StreamConfig,
    projection: Projection,
) -> Option<serde_json::Value> {
    let mut consumer: consumer::PullConsumer = js
        .get_consumer_from_stream(projection.durable_name(), &stream.stream)
        .await
        .ok()?;
    let info = consumer.info().await.ok()?;
    Some(serde_json::json!({
        "pending": info.num_pending,
        "ack_pending": info.num_ack_pending,
        "redelivered": info.num_redelivered,
        "delivered_stream_seq": info.delivered.stream_sequence,
        "ack_floor_stream_seq": info.ack_floor.stream_sequence,
    }))
}

/// Decodes a stream message; the error names what is wrong, never the payload.
pub(crate) fn decode(msg: &jetstream::Message) -> Result<Incoming, String> {
    let stream_seq = msg
        .info()
        .map_err(|e| format!("no JetStream info: {e}"))?
        .stream_sequence;
    let envelope: PublicEnvelope =
        serde_json::from_slice(&msg.payload).map_err(|e| format!("not an envelope: {e}"))?;
    let tx_id = msg
        .headers
        .as_ref()
        .and_then(|h| h.get(HEADER_TX_ID))
        .and_then(|v| v.as_str().parse::<u64>().ok())
        .ok_or_else(|| format!("header {HEADER_TX_ID} missing or not a number"))?;
    Ok(Incoming {
        stream_seq,
        cursor: Cursor {
            tx_id,
            global_seq: envelope.position,
        },
        envelope,
    })
}
