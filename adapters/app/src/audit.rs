//! The audit log for the console's pages: a filtered page of entries newest first (the same
//! query and filters as `GET /v1/accounts/{a}/audit` and `chronid audit`), every matching entry
//! for an export, and the logins and failed logins per hour over the page's time range.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::Stream;
use uuid::Uuid;

pub use chronid_views::export::{audit_csv_line, AUDIT_CSV_HEADER};
use chronid_views::query::{self, FilterError};
pub use chronid_views::query::{AuditEntry, AuditFilter, AuditKey, LoginHour};

use crate::{App, AppError, Principal};

/// The chart covers at most this much time (the newest part of a longer range).
pub const CHART_SPAN_MAX: Duration = Duration::days(14);
/// A range with no bounds is charted over this last stretch of time.
pub const CHART_SPAN_DEFAULT: Duration = Duration::hours(24);

/// A time zone (IANA), in which the console shows and reads times.
pub type Zone = chrono_tz::Tz;

/// A page of the audit log and what the page shows beside it.
#[derive(Debug, Clone)]
pub struct AuditPageView {
    /// The account's time zone: the page shows its times in it, and reads the times of its
    /// date-and-time range in it.
    pub zone: Zone,
    pub entries: Vec<AuditEntry>,
    /// Where the next page starts, when there is one.
    pub next: Option<AuditKey>,
    /// The bounds applied (a named range resolved in the account's time zone).
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Logins and failed logins per hour from `from` to `to`.
#[derive(Debug, Clone)]
pub struct LoginChart {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub hours: Vec<LoginHour>,
}

/// What the console's audit page shows: a page of entries and the chart beside it.
#[derive(Debug, Clone)]
pub struct AuditScreen {
    pub page: AuditPageView,
    pub chart: Option<LoginChart>,
}

/// Why an audit filter was refused: the parameter and the reason, for the page to show beside
/// the field.
#[derive(Debug, Clone)]
pub struct AuditFilterRefused {
    pub field: &'static str,
    pub message: String,
}

/// An audit query's failure.
#[derive(Debug)]
pub enum AuditError {
    Filter(AuditFilterRefused),
    App(AppError),
}

impl From<AppError> for AuditError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

/// `2026-12-01T09:00` or `2026-12-01T09:00:30`: a date and time with no offset.
fn local_time(raw: &str) -> Option<chrono::NaiveDateTime> {
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(raw, f).ok())
}

impl App {
    /// The account's time zone (UTC unless it set one), as the account stands in the store
    /// (its aggregate is usually in memory: no query).
    pub async fn account_zone(&self, account_id: Uuid) -> Result<Zone, AppError> {
        let account = self.account(account_id).await?;
        let zone = account.customization.time_zone();
        Ok(chronid_projections::range::parse_time_zone(zone.as_str()).unwrap_or(chrono_tz::UTC))
    }

    async fn audit_filter(
        &self,
        who: &Principal,
        account_id: Uuid,
        params: &HashMap<String, String>,
    ) -> Result<AuditFilter, AuditError> {
        who.require_account_manager(account_id)?;
        let now = self.exec.services().clock.now();
        // A date and time without an offset (a `datetime-local` field) is the account's.
        let mut params = params.clone();
        for name in ["from", "to"] {
            let Some(raw) = params.get(name) else {
                continue;
            };
            if let Some(local) = local_time(raw) {
                let zone = self.account_zone(account_id).await?;
                let at = zone
                    .from_local_datetime(&local)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc).to_rfc3339());
                if let Some(at) = at {
                    params.insert(name.to_string(), at);
                }
            }
        }
        let params = &params;
        match query::resolve_audit_filter(self.exec.pool(), account_id, params, now).await {
            Ok(filter) => Ok(filter),
            Err(FilterError::Invalid(p)) => Err(AuditError::Filter(AuditFilterRefused {
                field: p.field,
                message: p.message,
            })),
            Err(FilterError::Db(e)) => Err(AppError::internal(e).into()),
        }
    }

    /// A page of `limit` entries after `after`, filtered by `params` (`username`, `ip`, `q`,
    /// `range`, `tz`, `from`, `to`), and the chart of logins and failed logins per hour over the
    /// same filters (the last day when the range is unbounded; at most `CHART_SPAN_MAX`, the
    /// newest part). The filter is resolved once; the page, the chart and the account's time
    /// zone are read at the same time, on separate connections. AccountManager only. A chart
    /// that cannot be read is left out (logged), the page still shown.
    pub async fn audit_screen(
        &self,
        who: &Principal,
        account_id: Uuid,
        params: &HashMap<String, String>,
        after: Option<AuditKey>,
        limit: i64,
    ) -> Result<AuditScreen, AuditError> {
        let filter = self.audit_filter(who, account_id, params).await?;
        let now = self.exec.services().clock.now();
        let mut charted = filter.clone();
        let to = filter.to.unwrap_or(now).min(now + Duration::hours(1));
        let from = filter
            .from
            .unwrap_or(to - CHART_SPAN_DEFAULT)
            .max(to - CHART_SPAN_MAX);
        charted.from = Some(from);
        charted.to = Some(to);
        let pool = self.exec.pool();
        let (entries, hours, zone) = futures::join!(
            query::audit(pool, account_id, &filter, after, limit),
            query::audit_login_hours(pool, account_id, &charted),
            self.account_zone(account_id),
        );
        let entries = entries.map_err(AppError::internal)?;
        let chart = match hours {
            Ok(hours) => Some(LoginChart { from, to, hours }),
            Err(error) => {
                tracing::warn!(%error, "the audit chart could not be read");
                None
            }
        };
        let next = match entries.last() {
            Some(last) if entries.len() as i64 == limit => Some(AuditKey {
                at: last.at,
                position: last.position,
            }),
            _ => None,
        };
        Ok(AuditScreen {
            page: AuditPageView {
                zone: zone?,
                entries,
                next,
                from: filter.from,
                to: filter.to,
            },
            chart,
        })
    }

    /// Every entry `params` matches, newest first, for an export. AccountManager only.
    pub async fn audit_export(
        &self,
        who: &Principal,
        account_id: Uuid,
        params: &HashMap<String, String>,
    ) -> Result<impl Stream<Item = Result<AuditEntry, query::DbError>> + use<>, AuditError> {
        let filter = self.audit_filter(who, account_id, params).await?;
        Ok(query::audit_all(
            self.exec.pool().clone(),
            account_id,
            filter,
        ))
    }
}
