//! The tables of a rebuild: fresh tables beside the live ones, their indexes once filled, the
//! events that could not be applied, and the swap that puts the rebuilt tables live with the
//! events that arrived meanwhile.

use chronid_store::rows::parse_xid8;
use sqlx::{Connection, PgConnection};

use super::*;
use crate::tables::{retired_name, Tables};
use crate::{Counts, Cursor, Projection, State};

/// Creates `fresh` empty, shaped like `original`. With `keys_now` it gets its primary key and
/// unique constraints at once (tables written with `ON CONFLICT`); without, they wait for
/// [`finish_table`] with the other indexes (the audit entries, loaded with COPY): building an
/// index over the rows once they are in is several times faster than maintaining it.
pub(crate) async fn prepare_table(
    conn: &mut PgConnection,
    original: &str,
    fresh: &str,
    keys_now: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("DROP TABLE IF EXISTS {fresh}"))
        .execute(&mut *conn)
        .await?;
    sqlx::query(&format!(
        "CREATE TABLE {fresh} (LIKE {original} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    ))
    .execute(&mut *conn)
    .await?;
    if keys_now {
        add_keys(conn, original, fresh).await?;
    }
    Ok(())
}

/// Gives `fresh` the primary key and unique constraints `original` has.
async fn add_keys(conn: &mut PgConnection, original: &str, fresh: &str) -> Result<(), sqlx::Error> {
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
          WHERE conrelid = $1::regclass AND contype IN ('p', 'u')",
    )
    .bind(original)
    .fetch_all(&mut *conn)
    .await?;
    for (name, def) in keys {
        sqlx::query(&format!(
            "ALTER TABLE {fresh} ADD CONSTRAINT {} {def}",
            rebuilt_name(&name, fresh)
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Builds on `fresh` the indexes `original` has: its keys too when [`prepare_table`] left them.
pub(crate) async fn finish_table(
    conn: &mut PgConnection,
    original: &str,
    fresh: &str,
    keys_now: bool,
) -> Result<(), sqlx::Error> {
    if !keys_now {
        add_keys(conn, original, fresh).await?;
    }
    for (name, def) in secondary_indexes(conn, original).await? {
        let def = def
            .replacen(
                &format!("INDEX {name} ON "),
                &format!("INDEX {} ON ", rebuilt_name(&name, fresh)),
                1,
            )
            .replacen(&format!(".{original} "), &format!(".{fresh} "), 1);
        sqlx::query(&def).execute(&mut *conn).await?;
    }
    sqlx::query(&format!("ANALYZE {fresh}"))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The indexes of a table that do not back a constraint: (name, definition).
pub(crate) async fn secondary_indexes(
    conn: &mut PgConnection,
    table: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.indexname::text, i.indexdef FROM pg_indexes i
          WHERE i.tablename = $1 AND i.schemaname = current_schema()
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                             WHERE c.conrelid = $1::regclass AND c.conname = i.indexname)",
    )
    .bind(table)
    .fetch_all(conn)
    .await
}

/// The name of a fresh table's copy of a constraint or index (names are unique per schema).
pub(crate) fn rebuilt_name(name: &str, fresh: &str) -> String {
    if fresh.ends_with(crate::tables::UNTIL_SUFFIX) {
        format!("{name}__ut")
    } else {
        format!("{name}{INDEX_SUFFIX}")
    }
}

pub(crate) async fn record_failures(
    conn: &mut PgConnection,
    failures: &[Failure],
) -> Result<(), sqlx::Error> {
    for (p, env, error) in failures {
        sqlx::query(
            "INSERT INTO projection_failed_events (projection, source, event_type, aggregate_type,
                    aggregate_id, sequence, position, error, attempts, envelope)
             VALUES ($1, 'replay', $2, $3, $4, $5, $6, $7, 1, $8)",
        )
        .bind(p.name())
        .bind(&env.event_type)
        .bind(&env.aggregate_type)
        .bind(env.aggregate_id.to_string())
        .bind(env.sequence)
        .bind(env.position)
        .bind(error)
        .bind(serde_json::to_value(env).ok())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// In one transaction: stops the live worker (table locks), applies to the fresh tables what it
/// applied after `rebuilt` (the rebuild's last cursor), and swaps the tables. Returns how many
/// events were caught up.
pub(crate) async fn swap(
    conn: &mut PgConnection,
    projection: Projection,
    rebuilt: Cursor,
    fresh: &Tables,
    live: &Tables,
) -> Result<u64, ReplayError> {
    let mut tx = conn.begin().await?;
    let live_tables = live.of(projection);
    // Table locks first, then the checkpoint row: the worker takes them in that order too
    // (rows, then checkpoint), so the two never deadlock.
    sqlx::query(&format!(
        "LOCK TABLE {} IN ACCESS EXCLUSIVE MODE",
        live_tables.join(", ")
    ))
    .execute(&mut *tx)
    .await?;
    let checkpoint: Option<(String, i64)> = sqlx::query_as(
        "SELECT tx_id::text, global_seq FROM projection_checkpoints WHERE projection = $1 FOR UPDATE",
    )
    .bind(projection.name())
    .fetch_optional(&mut *tx)
    .await?;
    let mut caught_up = 0;
    if let Some((tx_text, global_seq)) = checkpoint {
        let upto = Cursor {
            tx_id: parse_xid8(&tx_text).unwrap_or(0),
            global_seq,
        };
        let mut after = rebuilt;
        while after < upto {
            let (page, last) = read_page(&mut *tx, after, Some(upto)).await?;
            if page.is_empty() {
                break;
            }
            let mut state = State::live(projection);
            state.load(&mut tx, fresh, &page).await?;
            let mut counts = Counts::default();
            for env in &page {
                // A failure here was parked by the live worker already.
                let _ = state.apply(env, &mut counts);
            }
            state.save(&mut tx, fresh).await?;
            caught_up += page.len() as u64;
            after = last;
        }
    }
    for (fresh_name, live_name) in fresh.of(projection).into_iter().zip(live_tables) {
        let retired = retired_name(live_name);
        let indexes = secondary_indexes(&mut tx, fresh_name).await?;
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT conname::text FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('p', 'u')",
        )
        .bind(fresh_name)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(&format!("ALTER TABLE {live_name} RENAME TO {retired}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("ALTER TABLE {fresh_name} RENAME TO {live_name}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("DROP TABLE {retired}"))
            .execute(&mut *tx)
            .await?;
        for name in keys {
            if let Some(original) = name.strip_suffix(INDEX_SUFFIX) {
                sqlx::query(&format!(
                    "ALTER TABLE {live_name} RENAME CONSTRAINT {name} TO {original}"
                ))
                .execute(&mut *tx)
                .await?;
            }
        }
        for (name, _) in indexes {
            if let Some(original) = name.strip_suffix(INDEX_SUFFIX) {
                sqlx::query(&format!("ALTER INDEX {name} RENAME TO {original}"))
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(caught_up)
}
