//! Where the relay resumes: the further of its checkpoint and the stream's tail, and the check
//! that a tail ahead of the checkpoint names an event of this database.

use std::sync::atomic::Ordering;

use chronid_store::rows::{msg_id_at, parse_xid8};
use chronid_store::Cursor;

use super::*;
use crate::{HEADER_POSITION, HEADER_TX_ID};

/// Where the relay stands: the last event in the stream and the stream sequence it has.
#[derive(Debug, Clone, Copy)]
pub(super) struct Position {
    pub(super) cursor: Cursor,
    pub(super) stream_seq: u64,
}

impl Relay {
    /// Where to resume: the further of the checkpoint and the stream's last message.
    pub(super) async fn resync(&self) -> Result<Position, RelayError> {
        let checkpoint: Option<(String, i64)> = sqlx::query_as(
            "SELECT tx_id::text, global_seq FROM relay_checkpoints WHERE stream = $1",
        )
        .bind(&self.stream.stream)
        .fetch_optional(&self.pool)
        .await?;
        let checkpoint = match checkpoint {
            Some((tx, global_seq)) => Some(Cursor {
                tx_id: parse_xid8(&tx).ok_or_else(|| RelayError::Stream {
                    stream: self.stream.stream.clone(),
                    reason: "checkpoint tx_id is not a number".into(),
                })?,
                global_seq,
            }),
            None => None,
        };
        let stream_error = |reason: String| RelayError::Stream {
            stream: self.stream.stream.clone(),
            reason,
        };
        let stream = self
            .js
            .get_stream(&self.stream.stream)
            .await
            .map_err(|e| stream_error(e.to_string()))?;
        let last_seq = stream.cached_info().state.last_sequence;
        let tail = if last_seq == 0 {
            None
        } else {
            let msg = stream
                .get_raw_message(last_seq)
                .await
                .map_err(|e| stream_error(format!("message {last_seq}: {e}")))?;
            let tx = msg
                .headers
                .get(HEADER_TX_ID)
                .and_then(|v| parse_xid8(v.as_str()));
            let seq = msg
                .headers
                .get(HEADER_POSITION)
                .and_then(|v| v.as_str().parse::<i64>().ok());
            match (tx, seq) {
                (Some(tx_id), Some(global_seq)) => {
                    let cursor = Cursor { tx_id, global_seq };
                    if Some(cursor) > checkpoint {
                        let msg_id = msg.headers.get(async_nats::header::NATS_MESSAGE_ID);
                        self.check_tail(cursor, msg_id.map(|v| v.as_str())).await?;
                    }
                    Some(cursor)
                }
                _ => {
                    tracing::warn!(target: LOG_TARGET, stream_seq = last_seq,
                        "stream's last message has no chronid position; using the checkpoint");
                    None
                }
            }
        };
        let cursor = checkpoint.max(tail).unwrap_or_default();
        tracing::info!(target: LOG_TARGET,
            checkpoint = ?checkpoint.map(|c| c.global_seq), tail = ?tail.map(|c| c.global_seq),
            stream_seq = last_seq, position = cursor.global_seq, "relay resuming");
        self.stats
            .last_position
            .store(cursor.global_seq, Ordering::Relaxed);
        Ok(Position {
            cursor,
            stream_seq: last_seq,
        })
    }

    /// A tail ahead of the checkpoint must name an event of this database. Otherwise (a restored
    /// database reuses transaction ids past its backup, or the stream is another database's)
    /// resuming from it would skip every new event below it: refuse instead, loudly.
    pub(super) async fn check_tail(
        &self,
        tail: Cursor,
        msg_id: Option<&str>,
    ) -> Result<(), RelayError> {
        let row = msg_id_at(&self.pool, tail).await?;
        if row.is_some() && row.as_deref() == msg_id {
            return Ok(());
        }
        let error = RelayError::StreamAhead {
            stream: self.stream.stream.clone(),
            position: tail.global_seq,
            tx_id: tail.tx_id,
        };
        tracing::error!(target: LOG_TARGET, %error, "relay cannot resume");
        Err(error)
    }
}
