//! The active relay's work: read the next batch after the cursor, publish it pipelined with
//! each message's expected last sequence, await the acks, advance the checkpoint.

use std::future::IntoFuture;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_nats::jetstream::message::PublishMessage;
use bytes::Bytes;
use chronid_store::rows::{envelope, parse_xid8, rows_after, EventRow};
use chronid_store::Cursor;
use sqlx::PgPool;

use super::*;
use crate::{msg_id, subject, HEADER_POSITION, HEADER_TX_ID};

/// A message ready to publish.
pub(super) struct Outgoing {
    pub(super) subject: String,
    pub(super) msg_id: String,
    pub(super) cursor: Cursor,
    pub(super) body: Bytes,
}

/// Reads the batch after `after` (up to the commit horizon) and turns it into messages.
pub(super) async fn read_batch(
    pool: PgPool,
    subject_prefix: String,
    batch_size: usize,
    stats: Arc<RelayStats>,
    after: Cursor,
) -> Result<Vec<Outgoing>, RelayError> {
    let limit = i64::try_from(batch_size).unwrap_or(i64::MAX);
    let rows = rows_after(&pool, after, None, limit).await?;
    stats.polls.fetch_add(1, Ordering::Relaxed);
    rows.into_iter()
        .map(|row| outgoing(&subject_prefix, row))
        .collect()
}

/// The message of a row: subject, Msg-Id, cursor and the public envelope as JSON.
pub(super) fn outgoing(subject_prefix: &str, row: EventRow) -> Result<Outgoing, RelayError> {
    let position = row.global_seq;
    let bad = |reason: String| RelayError::Envelope { position, reason };
    let tx_id = parse_xid8(&row.tx_text).ok_or_else(|| bad("tx_id is not a number".into()))?;
    let msg_id = msg_id(&row.aggregate_type, &row.aggregate_id, row.sequence);
    let envelope = envelope(row).map_err(bad)?;
    let mut body = Vec::with_capacity(1024);
    serde_json::to_writer(&mut body, &envelope).map_err(|e| bad(e.to_string()))?;
    Ok(Outgoing {
        subject: subject(
            subject_prefix,
            &envelope.account_id.to_string(),
            &envelope.aggregate_type,
            &envelope.event_type,
        ),
        msg_id,
        cursor: Cursor {
            tx_id,
            global_seq: position,
        },
        body: Bytes::from(body),
    })
}

impl Relay {
    /// Reads the batch after `after` and turns it into messages.
    pub(super) async fn fetch(&self, after: Cursor) -> Result<Vec<Outgoing>, RelayError> {
        read_batch(
            self.pool.clone(),
            self.stream.subject_prefix.clone(),
            self.options.batch_size,
            Arc::clone(&self.stats),
            after,
        )
        .await
    }

    /// One batch: resync if needed, read, publish, await acks, checkpoint. Returns rows read.
    ///
    /// When the batch is full, the next one is read (and its messages built) while this one's
    /// acks are in flight, and handed back in `ahead`; it is used only if this batch succeeds and
    /// it starts right after this batch's last cursor, so ordering and the checkpoint rule are
    /// unchanged.
    pub(super) async fn step(
        &self,
        position: &mut Option<Position>,
        ahead: &mut Option<(Cursor, Vec<Outgoing>)>,
    ) -> Result<usize, RelayError> {
        let pos = match *position {
            Some(p) => p,
            None => {
                *ahead = None;
                let p = self.resync().await?;
                *position = Some(p);
                p
            }
        };
        let outgoing = match ahead.take() {
            Some((after, prefetched)) if after == pos.cursor => prefetched,
            _ => self.fetch(pos.cursor).await?,
        };
        if outgoing.is_empty() {
            return Ok(0);
        }
        let read_ahead = outgoing.len() == self.options.batch_size;
        let batch_last = outgoing.last().map(|m| m.cursor).unwrap_or_default();
        // The read-ahead runs as a task of its own: decoding a thousand rows in this task would
        // hold up the publishing beside it, and the NATS server would sit idle meanwhile.
        let next = read_ahead.then(|| {
            AbortOnDrop(tokio::spawn(read_batch(
                self.pool.clone(),
                self.stream.subject_prefix.clone(),
                self.options.batch_size,
                Arc::clone(&self.stats),
                batch_last,
            )))
        });
        let (last_cursor, last_seq, duplicates) = self.publish(&outgoing, pos.stream_seq).await?;
        // Committed without waiting for the WAL flush: a checkpoint lost in a crash only means
        // resuming from an older one, and resuming already takes the further of checkpoint and
        // stream tail and republishes with the same Msg-Ids.
        sqlx::query(
            "INSERT INTO relay_checkpoints (stream, tx_id, global_seq, updated_at)
             SELECT $1, $2::text::xid8, $3, now()
               FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
             ON CONFLICT (stream) DO UPDATE
                SET tx_id = EXCLUDED.tx_id, global_seq = EXCLUDED.global_seq,
                    updated_at = EXCLUDED.updated_at
              WHERE (relay_checkpoints.tx_id, relay_checkpoints.global_seq)
                  < (EXCLUDED.tx_id, EXCLUDED.global_seq)",
        )
        .bind(&self.stream.stream)
        .bind(last_cursor.tx_id.to_string())
        .bind(last_cursor.global_seq)
        .execute(&self.pool)
        .await?;
        if let Some(mut next) = next {
            if let Ok(Ok(next)) = (&mut next.0).await {
                *ahead = Some((last_cursor, next));
            }
        }
        let stored = outgoing.len() - duplicates;
        self.stats
            .published
            .fetch_add(stored as u64, Ordering::Relaxed);
        self.stats
            .duplicates
            .fetch_add(duplicates as u64, Ordering::Relaxed);
        self.stats
            .last_position
            .store(last_cursor.global_seq, Ordering::Relaxed);
        tracing::debug!(target: LOG_TARGET, count = outgoing.len(), duplicates,
            from_tx = pos.cursor.tx_id, from = pos.cursor.global_seq,
            first_tx = outgoing.first().map(|m| m.cursor.tx_id),
            first = outgoing.first().map(|m| m.cursor.global_seq),
            last_tx = last_cursor.tx_id, position = last_cursor.global_seq,
            stream_seq = last_seq, "batch published");
        // After duplicates the stream's last sequence is not ours to infer: read it again.
        *position = (duplicates == 0).then_some(Position {
            cursor: last_cursor,
            stream_seq: last_seq,
        });
        Ok(outgoing.len())
    }

    /// Publishes a batch pipelined, then awaits every ack. Returns the last cursor, the stream
    /// sequence of the last message and how many acks were duplicates.
    pub(super) async fn publish(
        &self,
        batch: &[Outgoing],
        stream_seq: u64,
    ) -> Result<(Cursor, u64, usize), RelayError> {
        let mut pending = Vec::with_capacity(batch.len());
        for (expected, msg) in (stream_seq..).zip(batch) {
            let publish = PublishMessage::build()
                .payload(msg.body.clone())
                .message_id(&msg.msg_id)
                .expected_last_sequence(expected)
                .header(HEADER_TX_ID, msg.cursor.tx_id.to_string())
                .header(HEADER_POSITION, msg.cursor.global_seq.to_string());
            let ack = self
                .js
                .send_publish(msg.subject.clone(), publish)
                .await
                .map_err(|source| RelayError::Publish {
                    position: msg.cursor.global_seq,
                    source,
                })?;
            pending.push(ack.into_future());
        }
        let acks = futures::future::join_all(pending).await;
        let mut duplicates = 0;
        let mut last_seq = stream_seq;
        for (i, (ack, msg)) in acks.into_iter().zip(batch).enumerate() {
            let position = msg.cursor.global_seq;
            let ack = ack.map_err(|source| RelayError::Ack {
                position,
                acked: i,
                batch: batch.len(),
                source,
            })?;
            if ack.stream != self.stream.stream {
                return Err(RelayError::UnexpectedAck {
                    position,
                    reason: format!("stored in stream {}", ack.stream),
                });
            }
            if ack.duplicate {
                duplicates += 1;
            } else if ack.sequence != last_seq + 1 {
                return Err(RelayError::UnexpectedAck {
                    position,
                    reason: format!("stream sequence {} after {last_seq}", ack.sequence),
                });
            } else {
                last_seq = ack.sequence;
            }
        }
        let last = batch.last().map(|m| m.cursor).unwrap_or_default();
        Ok((last, last_seq, duplicates))
    }
}
