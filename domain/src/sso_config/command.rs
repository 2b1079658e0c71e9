//! Commands of the SsoConfig aggregate. They carry validated values only (`HttpUrl::parse`,
//! `Certificate::parse`, `EntityId::parse`, `AcsPath::parse` at the edge); the caller draws the
//! random ACS path and reserves the SP entity id.

use uuid::Uuid;

use super::event::{SsoLoginFailure, SsoSettings};

#[derive(Debug, Clone, PartialEq)]
pub enum SsoConfigCommand {
    /// An AccountManager of `account_id` configures SSO; that account owns the configuration.
    Create {
        config_id: Uuid,
        account_id: Uuid,
        settings: SsoSettings,
    },
    /// Replace every setting at once (the form is saved as a whole).
    Update {
        settings: SsoSettings,
    },
    /// Shared SSO: users of one more account log in through this configuration.
    /// The owner offers to serve `account_id` too (shared SSO).
    OfferAccount {
        account_id: Uuid,
    },
    /// A manager of `account_id` accepts the owner's offer.
    AddAccount {
        account_id: Uuid,
    },
    /// Stop serving an account other than the owner.
    RemoveAccount {
        account_id: Uuid,
    },
    Delete,
    /// Records a refused login.
    RecordLoginFailure {
        reason: SsoLoginFailure,
        account_id: Option<Uuid>,
        user_id: Option<Uuid>,
        name_id: Option<String>,
    },
}
