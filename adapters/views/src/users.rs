//! Storage of the `users` projection: the user, device, team and account views. A batch loads the
//! rows its envelopes touch in one query per table, folds the envelopes in memory with the pure
//! logic of `chronid_projections`, and writes the changed rows back in one statement per table.
//! Every write is guarded by the row's last applied sequence, so a stale writer never wins.

use std::collections::{HashMap, HashSet};

use chronid_domain::public::PublicEnvelope;
use chronid_projections::account_view::{self, AccountView};
use chronid_projections::device_view::{self, DeviceView};
use chronid_projections::team_view::{self, TeamView};
use chronid_projections::user_view::{self, UserView};
use chronid_projections::{Applied, ProjectionError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::tables::Tables;
use super::Counts;

/// Rows of one view known to a batch: `None` = known not to exist.
struct Rows<T> {
    rows: HashMap<Uuid, Option<T>>,
    dirty: HashSet<Uuid>,
}

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Self {
            rows: HashMap::new(),
            dirty: HashSet::new(),
        }
    }
}

impl<T: Clone> Rows<T> {
    fn missing<'a>(&self, ids: impl IntoIterator<Item = &'a Uuid>) -> Vec<Uuid> {
        let mut out: Vec<Uuid> = ids
            .into_iter()
            .filter(|id| !self.rows.contains_key(id))
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn mark_unknown(&mut self, ids: &[Uuid]) {
        for id in ids {
            self.rows.insert(*id, None);
        }
    }

    fn found(&mut self, id: Uuid, doc: Value) -> Result<(), sqlx::Error>
    where
        T: DeserializeOwned,
    {
        let row = serde_json::from_value(doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        self.rows.insert(id, Some(row));
        Ok(())
    }

    fn apply(
        &mut self,
        id: Uuid,
        f: impl FnOnce(&mut Option<T>) -> Result<Applied, ProjectionError>,
    ) -> Result<Applied, ProjectionError> {
        let slot = self.rows.entry(id).or_insert(None);
        let applied = f(slot)?;
        if applied == Applied::Changed {
            self.dirty.insert(id);
        }
        Ok(applied)
    }

    fn take_dirty(&mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.dirty.len());
        for id in self.dirty.drain() {
            if let Some(Some(row)) = self.rows.get(&id) {
                out.push(row.clone());
            }
        }
        out
    }
}

/// The in-memory state of the `users` projection for a batch (live) or a whole rebuild.
#[derive(Default)]
pub struct UsersState {
    users: Rows<UserView>,
    devices: Rows<DeviceView>,
    teams: Rows<TeamView>,
    accounts: Rows<AccountView>,
    /// True in a rebuild into empty tables: a row not in memory does not exist.
    complete: bool,
}

impl UsersState {
    /// A state for a rebuild into empty tables.
    pub fn complete() -> Self {
        Self {
            complete: true,
            ..Self::default()
        }
    }

    /// The query that reads the rows `batch` touches and are not in memory yet (None when
    /// there are none), in one statement: a kind (0 users, 1 devices, 2 teams, 3 accounts),
    /// the id, and the row. The ids asked for are marked unknown until [`Self::absorb`] fills
    /// in those found. The ids are formatted into the statement (UUIDs, nothing else), so the
    /// live batch can send it in the same message as its `BEGIN`.
    pub fn load_query(&mut self, tables: &Tables, batch: &[PublicEnvelope]) -> Option<String> {
        if self.complete {
            return None;
        }
        let by_type = |t: &'static str| batch.iter().filter(move |e| e.aggregate_type == t);
        let users = self
            .users
            .missing(by_type("user").map(|e| &e.aggregate_id).collect::<Vec<_>>());
        let devices = self.devices.missing(
            by_type("device")
                .map(|e| &e.aggregate_id)
                .collect::<Vec<_>>(),
        );
        let accounts = self.accounts.missing(
            by_type("account")
                .map(|e| &e.aggregate_id)
                .collect::<Vec<_>>(),
        );
        let team_ids: Vec<Uuid> = by_type("account")
            .flat_map(team_view::teams_touched)
            .collect();
        let teams = self.teams.missing(&team_ids);
        let mut parts = Vec::new();
        for (kind, table, key, ids) in [
            (0, &tables.users, "user_id", &users),
            (1, &tables.devices, "device_id", &devices),
            (2, &tables.teams, "team_id", &teams),
            (3, &tables.accounts, "account_id", &accounts),
        ] {
            if ids.is_empty() {
                continue;
            }
            parts.push(format!(
                "SELECT {kind}, {key}, doc FROM {table} WHERE {key} = ANY({})",
                super::uuid_array(ids)
            ));
        }
        self.users.mark_unknown(&users);
        self.devices.mark_unknown(&devices);
        self.teams.mark_unknown(&teams);
        self.accounts.mark_unknown(&accounts);
        (!parts.is_empty()).then(|| parts.join(" UNION ALL "))
    }

    /// Takes in the rows [`Self::load_query`] read.
    pub fn absorb(&mut self, rows: Vec<sqlx::postgres::PgRow>) -> Result<(), sqlx::Error> {
        use sqlx::Row;
        for row in rows {
            let kind: i32 = row.try_get(0)?;
            let id: Uuid = row.try_get(1)?;
            let doc: Value = row.try_get(2)?;
            match kind {
                0 => self.users.found(id, doc)?,
                1 => self.devices.found(id, doc)?,
                2 => self.teams.found(id, doc)?,
                _ => self.accounts.found(id, doc)?,
            }
        }
        Ok(())
    }

    /// Applies one envelope; the caller has loaded its rows.
    pub fn apply(
        &mut self,
        env: &PublicEnvelope,
        counts: &mut Counts,
    ) -> Result<(), ProjectionError> {
        let id = env.aggregate_id;
        let applied = match env.aggregate_type.as_str() {
            "user" => self.users.apply(id, |v| user_view::apply(v, env))?,
            "device" => self.devices.apply(id, |v| device_view::apply(v, env))?,
            "account" => {
                let applied = self.accounts.apply(id, |v| account_view::apply(v, env))?;
                for team in team_view::teams_touched(env) {
                    self.teams.apply(team, |v| team_view::apply(team, v, env))?;
                }
                applied
            }
            _ => Applied::Ignored,
        };
        counts.record(applied);
        Ok(())
    }

    /// Writes every changed row.
    pub async fn save(
        &mut self,
        conn: &mut PgConnection,
        tables: &Tables,
    ) -> Result<(), sqlx::Error> {
        for chunk in self.dirty_chunks() {
            chunk.write(conn, tables).await?;
        }
        Ok(())
    }
}

/// At most this many rows per statement (a rebuild writes every row at once).
const WRITE_CHUNK: usize = 2000;

/// Changed rows of every view, ready to write.
struct DirtyRows {
    users: Vec<Value>,
    devices: Vec<Value>,
    teams: Vec<Value>,
    accounts: Vec<Value>,
}

impl UsersState {
    fn dirty_chunks(&mut self) -> Vec<DirtyRows> {
        let users: Vec<Value> = self
            .users
            .take_dirty()
            .into_iter()
            .map(|mut u| {
                let search = u.search_text();
                u.trusted_devices.clear();
                json!({ "search": search, "doc": u })
            })
            .collect();
        let devices = docs(self.devices.take_dirty());
        let teams = docs(self.teams.take_dirty());
        let accounts = docs(self.accounts.take_dirty());
        let n = users
            .len()
            .max(devices.len())
            .max(teams.len())
            .max(accounts.len());
        let mut chunks = Vec::new();
        let (mut users, mut devices, mut teams, mut accounts) = (
            users.into_iter(),
            devices.into_iter(),
            teams.into_iter(),
            accounts.into_iter(),
        );
        for _ in 0..n.div_ceil(WRITE_CHUNK) {
            chunks.push(DirtyRows {
                users: users.by_ref().take(WRITE_CHUNK).collect(),
                devices: devices.by_ref().take(WRITE_CHUNK).collect(),
                teams: teams.by_ref().take(WRITE_CHUNK).collect(),
                accounts: accounts.by_ref().take(WRITE_CHUNK).collect(),
            });
        }
        chunks
    }
}

impl DirtyRows {
    /// The statements writing each non-empty view, each with its rows as `$1`.
    async fn write(self, conn: &mut PgConnection, tables: &Tables) -> Result<(), sqlx::Error> {
        for (rows, table, upsert) in self.parts(tables) {
            if !rows.is_empty() {
                sqlx::query(&upsert(table, "$1"))
                    .bind(Value::Array(rows))
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// Each view's rows with the statement writing them into its table, given the parameter,
    /// in the order a swap locks the tables.
    fn parts(self, tables: &Tables) -> [(Vec<Value>, &str, Upsert); 4] {
        let DirtyRows {
            users,
            devices,
            teams,
            accounts,
        } = self;
        [
            (users, &tables.users, upsert_users),
            (devices, &tables.devices, upsert_devices),
            (teams, &tables.teams, upsert_teams),
            (accounts, &tables.accounts, upsert_accounts),
        ]
    }
}

impl UsersState {
    /// Writes every changed row and moves the checkpoint, in one statement (the live batch:
    /// one round trip, however many views changed). The views are written in the order a swap
    /// locks them, so the two cannot deadlock.
    pub async fn save_with_checkpoint(
        &mut self,
        conn: &mut PgConnection,
        tables: &Tables,
        checkpoint: &super::Checkpoint,
    ) -> Result<(), sqlx::Error> {
        let mut rows = DirtyRows {
            users: Vec::new(),
            devices: Vec::new(),
            teams: Vec::new(),
            accounts: Vec::new(),
        };
        for chunk in self.dirty_chunks() {
            rows.users.extend(chunk.users);
            rows.devices.extend(chunk.devices);
            rows.teams.extend(chunk.teams);
            rows.accounts.extend(chunk.accounts);
        }
        let parts = rows.parts(tables);
        let ctes: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, (_, table, upsert))| {
                format!("w{i} AS ({})", upsert(table, &format!("${}", i + 1)))
            })
            .collect();
        let sql = format!(
            "WITH {}, c AS ({}) SELECT 1",
            ctes.join(", "),
            super::batch::checkpoint_upsert("$5")
        );
        let mut query = sqlx::query(&sql);
        for (rows, _, _) in parts {
            query = query.bind(Value::Array(rows));
        }
        query.bind(checkpoint.json()).execute(conn).await?;
        Ok(())
    }
}

/// A statement writing a view's rows: given the table and the parameter holding the rows.
type Upsert = fn(&str, &str) -> String;

fn upsert_users(t: &str, rows: &str) -> String {
    format!(
        "INSERT INTO {t} AS v (user_id, account_id, email_lower, username_lower, status,
                roles, teams, search, last_sequence, last_position, doc)
         SELECT (r.doc->>'id')::uuid, (r.doc->>'account_id')::uuid,
                lower(r.doc->>'email'), lower(r.doc->>'username'), r.doc->>'status',
                ARRAY(SELECT jsonb_array_elements_text(r.doc->'roles')),
                ARRAY(SELECT jsonb_array_elements_text(r.doc->'teams'))::uuid[],
                r.search, (r.doc->>'last_sequence')::bigint,
                (r.doc->>'last_position')::bigint, r.doc - 'trusted_devices'
           FROM jsonb_to_recordset({rows}::jsonb) AS r(search text, doc jsonb)
         ON CONFLICT (user_id) DO UPDATE SET
                email_lower = EXCLUDED.email_lower, username_lower = EXCLUDED.username_lower,
                status = EXCLUDED.status, roles = EXCLUDED.roles, teams = EXCLUDED.teams,
                search = EXCLUDED.search, last_sequence = EXCLUDED.last_sequence,
                last_position = EXCLUDED.last_position, doc = EXCLUDED.doc
          WHERE v.last_sequence < EXCLUDED.last_sequence"
    )
}

fn upsert_devices(t: &str, rows: &str) -> String {
    format!(
        "INSERT INTO {t} AS v (device_id, user_id, account_id, last_sequence, doc)
         SELECT (d->>'id')::uuid, (d->>'user_id')::uuid, (d->>'account_id')::uuid,
                (d->>'last_sequence')::bigint, d
           FROM jsonb_array_elements({rows}::jsonb) AS d
         ON CONFLICT (device_id) DO UPDATE SET
                last_sequence = EXCLUDED.last_sequence, doc = EXCLUDED.doc
          WHERE v.last_sequence < EXCLUDED.last_sequence"
    )
}

fn upsert_teams(t: &str, rows: &str) -> String {
    format!(
        "INSERT INTO {t} AS v (team_id, account_id, deleted, last_sequence, doc)
         SELECT (d->>'id')::uuid, (d->>'account_id')::uuid, (d->>'deleted')::boolean,
                (d->>'last_sequence')::bigint, d
           FROM jsonb_array_elements({rows}::jsonb) AS d
         ON CONFLICT (team_id) DO UPDATE SET
                deleted = EXCLUDED.deleted, last_sequence = EXCLUDED.last_sequence,
                doc = EXCLUDED.doc
          WHERE v.last_sequence < EXCLUDED.last_sequence"
    )
}

fn upsert_accounts(t: &str, rows: &str) -> String {
    format!(
        "INSERT INTO {t} AS v (account_id, last_sequence, doc)
         SELECT (d->>'id')::uuid, (d->>'last_sequence')::bigint, d
           FROM jsonb_array_elements({rows}::jsonb) AS d
         ON CONFLICT (account_id) DO UPDATE SET
                last_sequence = EXCLUDED.last_sequence, doc = EXCLUDED.doc
          WHERE v.last_sequence < EXCLUDED.last_sequence"
    )
}

impl UsersState {
    /// Drops the rows kept in memory (a live batch keeps nothing between batches: the tables are
    /// the truth, and another writer may have changed them).
    pub fn clear(&mut self) {
        if !self.complete {
            *self = Self::default();
        }
    }
}

fn docs<T: Serialize>(rows: Vec<T>) -> Vec<Value> {
    rows.into_iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .collect()
}
