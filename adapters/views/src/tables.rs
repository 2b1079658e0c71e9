//! The tables a projection writes: the live ones, or fresh copies a rebuild fills and then swaps
//! in. Names come from this fixed set only, never from input, so they are safe to format into SQL.

use super::Projection;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub users: String,
    pub devices: String,
    pub teams: String,
    pub accounts: String,
    pub audit: String,
    pub principals: String,
    /// The distinct audit descriptions of each account, searched by text.
    pub texts: String,
    /// Logins and failed logins per account and hour, for the console's chart.
    pub login_hours: String,
}

const REBUILD_SUFFIX: &str = "__rebuild";
const RETIRED_SUFFIX: &str = "__retired";
pub(crate) const UNTIL_SUFFIX: &str = "__until";

impl Tables {
    pub fn live() -> Self {
        Self::with_suffix("")
    }

    /// The fresh tables a rebuild writes into.
    pub fn rebuild() -> Self {
        Self::with_suffix(REBUILD_SUFFIX)
    }

    /// The tables `replay --until` writes: the views as they stood at a time, beside the live
    /// ones, never swapped in.
    pub fn until() -> Self {
        Self::with_suffix(UNTIL_SUFFIX)
    }

    fn with_suffix(suffix: &str) -> Self {
        Self {
            users: format!("view_users{suffix}"),
            devices: format!("view_devices{suffix}"),
            teams: format!("view_teams{suffix}"),
            accounts: format!("view_accounts{suffix}"),
            audit: format!("audit_log{suffix}"),
            principals: format!("audit_principals{suffix}"),
            texts: format!("audit_texts{suffix}"),
            login_hours: format!("audit_login_hours{suffix}"),
        }
    }

    /// The tables a projection owns.
    pub fn of(&self, projection: Projection) -> Vec<&str> {
        match projection {
            Projection::Users => vec![&self.users, &self.devices, &self.teams, &self.accounts],
            // In the order the audit worker takes them (principals are read before entries and
            // descriptions are written), so a swap's table locks cannot deadlock with it.
            Projection::Audit => vec![
                &self.principals,
                &self.texts,
                &self.login_hours,
                &self.audit,
            ],
        }
    }
}

/// The live name of a table and the name the replaced one takes during a swap.
pub fn retired_name(live: &str) -> String {
    format!("{live}{RETIRED_SUFFIX}")
}
