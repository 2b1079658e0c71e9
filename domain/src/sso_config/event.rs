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

/// Why a login through the configuration was refused: the Response's check, the browser, or
/// the user it names. Only words of ours, never text from the Response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SsoLoginFailure {
    /// Not base64 of one UTF-8 XML document within the size limit, or a construct the strict
    /// screen refuses (a DOCTYPE, a comment, a reference xmlsec would follow).
    Malformed,
    /// Not exactly one assertion (signature wrapping).
    AssertionCount,
    /// SHA-1 where not allowed, or MD5 or DSA.
    WeakAlgorithm,
    /// Not signed by a configured certificate.
    Signature,
    /// Issued by another identity provider.
    Issuer,
    /// The Response's Destination is not our assertion consumer URL.
    Destination,
    /// No bearer confirmation for our assertion consumer URL.
    Recipient,
    /// The audience is not our SP entity ID.
    Audience,
    Expired,
    NotYetValid,
    /// InResponseTo names no outstanding request.
    UnknownRequest,
    /// IdP-initiated, and the configuration does not allow it.
    Unsolicited,
    /// The identity provider answered with an error status.
    IdpStatus,
    /// The assertion names no user.
    NoSubject,
    /// The assertion was accepted before.
    Replayed,
    /// The Response reached another browser than the one that asked for it.
    OtherBrowser,
    /// The NameID is not an email address.
    NameIdNotEmail,
    /// No user of the served accounts has the NameID as email, and auto-create users is off.
    UnknownUser,
    /// The account does not allow SSO login.
    MethodNotAllowed,
    /// The user is locked or disabled.
    UserLocked,
    UserDisabled,
    /// A user could not be created (the email or a team name is not accepted).
    Creation,
}

impl SsoLoginFailure {
    /// Every failure, for catalogues and tests.
    pub const ALL: [SsoLoginFailure; 22] = [
        Self::Malformed,
        Self::AssertionCount,
        Self::WeakAlgorithm,
        Self::Signature,
        Self::Issuer,
        Self::Destination,
        Self::Recipient,
        Self::Audience,
        Self::Expired,
        Self::NotYetValid,
        Self::UnknownRequest,
        Self::Unsolicited,
        Self::IdpStatus,
        Self::NoSubject,
        Self::Replayed,
        Self::OtherBrowser,
        Self::NameIdNotEmail,
        Self::UnknownUser,
        Self::MethodNotAllowed,
        Self::UserLocked,
        Self::UserDisabled,
        Self::Creation,
    ];

    /// The stable name (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::AssertionCount => "assertion_count",
            Self::WeakAlgorithm => "weak_algorithm",
            Self::Signature => "signature",
            Self::Issuer => "issuer",
            Self::Destination => "destination",
            Self::Recipient => "recipient",
            Self::Audience => "audience",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::UnknownRequest => "unknown_request",
            Self::Unsolicited => "unsolicited",
            Self::IdpStatus => "idp_status",
            Self::NoSubject => "no_subject",
            Self::Replayed => "replayed",
            Self::OtherBrowser => "other_browser",
            Self::NameIdNotEmail => "name_id_not_email",
            Self::UnknownUser => "unknown_user",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UserLocked => "user_locked",
            Self::UserDisabled => "user_disabled",
            Self::Creation => "creation",
        }
    }
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
    /// The owner offers to serve another account; a manager of that account accepts it
    /// (`SsoAccountAdded`).
    SsoAccountOffered {
        account_id: Uuid,
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
    /// A login through the configuration was refused.
    SsoLoginFailed {
        reason: SsoLoginFailure,
        /// The account and user concerned, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<Uuid>,
        /// The NameID, only when a configured certificate signed it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name_id: Option<String>,
    },
}

crate::event_types::event_types! {
    /// The type of each [`SsoConfigEvent`].
    SsoConfigEventType for SsoConfigEvent {
        SsoConfigCreated,
        SsoConfigUpdated,
        SsoAccountOffered,
        SsoAccountAdded,
        SsoAccountRemoved,
        SsoConfigDeleted,
        SsoLoginFailed,
    }
}

impl crate::SecurityRelevant for SsoConfigEvent {
    fn is_security_outcome(&self) -> bool {
        match self.kind() {
            SsoConfigEventType::SsoConfigCreated
            | SsoConfigEventType::SsoConfigUpdated
            | SsoConfigEventType::SsoAccountOffered
            | SsoConfigEventType::SsoAccountAdded
            | SsoConfigEventType::SsoAccountRemoved
            | SsoConfigEventType::SsoConfigDeleted
            | SsoConfigEventType::SsoLoginFailed => true,
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
