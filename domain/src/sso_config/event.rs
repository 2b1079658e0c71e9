//! Events of the SsoConfig aggregate and the settings they carry. Type strings are stable and never
//! renamed. Nothing here is secret: certificates and URLs are public by nature.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::{AcsPath, Certificates, EntityId, HttpUrl};

/// Which IdP attribute the NameID is mapped from. Its format is always an email address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameIdSource {
    #[default]
    Email,
    /// User Principal Name (Active Directory).
    Upn,
}

/// Every setting of an SSO configuration, validated field by field; saved and published whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSettings {
    /// The IdP's issuer.
    pub idp_entity_id: EntityId,
    /// Certificates whose keys may sign assertions.
    pub idp_certificates: Certificates,
    /// Where users are sent to authenticate (SAML HTTP-Redirect / POST endpoint).
    pub idp_sso_url: HttpUrl,
    /// Where users are sent after logging out of chronid, to end their IdP session.
    pub idp_logout_url: Option<HttpUrl>,
    /// Our service-provider entity id; unique across configurations (reserved by the caller).
    pub sp_entity_id: EntityId,
    /// The random last segment of our assertion consumer service URL.
    pub sp_acs_path: AcsPath,
    /// Create a user on first login when no user has the NameID as email.
    pub auto_create_users: bool,
    /// Sync teams and memberships from the IdP's group claim on every login.
    pub auto_create_groups: bool,
    pub name_id_source: NameIdSource,
    /// Accept IdP-initiated (unsolicited) responses; off unless the configuration opts in.
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// Accept signatures and digests made with SHA-1; off unless the configuration opts in.
    #[serde(default)]
    pub allow_sha1: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SsoConfigEvent {
    SsoConfigCreated {
        config_id: Uuid,
        /// The owner, served from the start.
        account_id: Uuid,
        settings: SsoSettings,
    },
    SsoConfigUpdated {
        /// The full new settings.
        settings: SsoSettings,
        /// Whether auto-create groups was on before: on -> off turns SSO teams into ordinary ones.
        previous_auto_create_groups: bool,
    },
    SsoAccountAdded {
        account_id: Uuid,
    },
    SsoAccountRemoved {
        account_id: Uuid,
    },
    SsoConfigDeleted {
        /// The SP entity id whose reservation is released.
        sp_entity_id: EntityId,
        /// The accounts that no longer log in through this configuration.
        accounts: Vec<Uuid>,
    },
}

crate::event_types::event_types! {
    /// The type of each [`SsoConfigEvent`].
    SsoConfigEventType for SsoConfigEvent {
        SsoConfigCreated,
        SsoConfigUpdated,
        SsoAccountAdded,
        SsoAccountRemoved,
        SsoConfigDeleted,
    }
}

impl crate::SecurityRelevant for SsoConfigEvent {
    fn is_security_outcome(&self) -> bool {
        match self.kind() {
            SsoConfigEventType::SsoConfigCreated
            | SsoConfigEventType::SsoConfigUpdated
            | SsoConfigEventType::SsoAccountAdded
            | SsoConfigEventType::SsoAccountRemoved
            | SsoConfigEventType::SsoConfigDeleted => true,
        }
    }
}

impl DomainEvent for SsoConfigEvent {
    fn event_type(&self) -> String {
        self.kind().name().to_string()
    }

    fn event_version(&self) -> String {
        crate::EVENT_VERSION_1.to_string()
    }
}
