//! Trusted devices: the one path user commands take (it ends the trust of the user's devices
//! after a password change or reset, an authenticator reset, a lock or a disable), the caller's
//! list of trusted devices, and revoking them.
//!
//! Trust ends twice over. Each Device that was trusted gets `DeviceRevoked` with the reason, so
//! the views and the stream say so; and the User's trust epoch moves on with the event that ends
//! it, so a device trusted in an earlier epoch is not trusted even if its revocation was never
//! written (the process died between the two commands).

use chronid_domain::device::{Device, DeviceCommand, DeviceError, DeviceRevokeReason};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::user::{User, UserCommand, UserError, UserEvent};
use chronid_domain::values::{Name, UserAgent};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{administrable_by, App, AppError, Outcome, Principal};
use chronid_store::{trusted_devices_of, CommandError, Committed, GuardError};

/// A trusted device as its user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub id: Uuid,
    pub label: Option<Name>,
    pub user_agent: Option<UserAgent>,
    pub first_seen_at: Option<DateTime<Utc>>,
    pub trusted_at: Option<DateTime<Utc>>,
    pub trusted_until: Option<DateTime<Utc>>,
    /// The device of the session this request came with.
    pub current: bool,
}

impl App {
    /// Runs a command on a User after `guard` accepted it, and ends the trust of the user's
    /// devices when what it wrote calls for that (`UserEvent::ends_device_trust`). Every user
    /// command of the application goes through here except registration, which writes the
    /// first event of a User and has no devices to end.
    pub(super) async fn user_command<G>(
        &self,
        user_id: Uuid,
        command: UserCommand,
        facts: &RequestFacts,
        guard: G,
    ) -> Result<(Committed, Vec<UserEvent>), CommandError<UserError>>
    where
        G: Fn(&User) -> Result<(), GuardError>,
    {
        let (committed, events) = self
            .exec
            .execute_returning::<User, _>(&user_id.to_string(), command, facts, guard)
            .await?;
        if let Some(reason) = events.iter().find_map(UserEvent::ends_device_trust) {
            if let Err(error) = self.revoke_trusted_devices(user_id, reason, facts).await {
                // The user's trust epoch already moved on: the devices are not trusted anyway.
                tracing::warn!(target: "security", %user_id, error = %error.message, "could not record the revocation of a user's devices");
            }
        }
        Ok((committed, events))
    }

    /// [`App::user_command`] without a guard.
    pub(super) async fn on_user_id(
        &self,
        user_id: Uuid,
        command: UserCommand,
        facts: &RequestFacts,
    ) -> Result<(Committed, Vec<UserEvent>), CommandError<UserError>> {
        self.user_command(user_id, command, facts, |_: &User| Ok(()))
            .await
    }

    /// Revokes every device of the user that is trusted; returns the position of the last
    /// revocation.
    async fn revoke_trusted_devices(
        &self,
        user_id: Uuid,
        reason: DeviceRevokeReason,
        facts: &RequestFacts,
    ) -> Result<Option<i64>, AppError> {
        let ids = trusted_devices_of(self.exec.pool(), user_id)
            .await
            .map_err(AppError::internal)?;
        let mut position = None;
        for id in ids {
            match self
                .exec
                .execute::<Device>(&id.to_string(), DeviceCommand::Revoke { reason }, facts)
                .await
            {
                Ok(c) => position = c.position().or(position),
                Err(CommandError::Domain(DeviceError::Revoked)) => {}
                Err(other) => return Err(other.into()),
            }
        }
        if position.is_some() {
            tracing::info!(target: "security", %user_id, ?reason, "trusted devices revoked");
        }
        Ok(position)
    }

    /// The caller's trusted devices, the longest trusted first.
    #[tracing::instrument(name = "my_devices", skip_all, fields(account = %who.account_id, actor = ?who.actor))]
    pub async fn my_devices(&self, who: &Principal) -> Result<Vec<DeviceInfo>, AppError> {
        let (user_id, session_id) = Self::session_caller(who)?;
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        let current = user.sessions.get(&session_id).and_then(|s| s.device_id);
        let now = self.exec.services().clock.now();
        let ids = trusted_devices_of(self.exec.pool(), user_id)
            .await
            .map_err(AppError::internal)?;
        let mut devices = Vec::with_capacity(ids.len());
        for id in ids {
            let (device, _) = self.exec.load::<Device>(&id.to_string()).await?;
            if !device.is_trusted(now, self.trust_for, user.trust_epoch) {
                continue;
            }
            devices.push(DeviceInfo {
                id,
                label: device.label.clone(),
                user_agent: device.user_agent.clone(),
                first_seen_at: device.first_seen_at,
                trusted_at: device.trusted_at,
                trusted_until: device.trusted_until(self.trust_for),
                current: current == Some(id),
            });
        }
        Ok(devices)
    }

    /// The caller revokes one of their devices.
    #[tracing::instrument(name = "revoke_my_device", skip_all, fields(account = %who.account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn revoke_my_device(
        &self,
        who: &Principal,
        device_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        let (user_id, _) = Self::session_caller(who)?;
        // Someone else's device is answered as no device at all.
        let owned = move |d: &Device| {
            if d.user_id == Some(user_id) {
                Ok(())
            } else {
                Err(GuardError::from_domain(&DeviceError::NotFound))
            }
        };
        let revoke = DeviceCommand::Revoke {
            reason: DeviceRevokeReason::User,
        };
        let committed = self
            .exec
            .execute_guarded::<Device, _>(&device_id.to_string(), revoke, facts, owned)
            .await?;
        Ok(Outcome {
            id: device_id,
            position: committed.position(),
        })
    }

    /// An administrator revokes every trusted device of a user.
    #[tracing::instrument(name = "revoke_user_devices", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn revoke_user_devices(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        // A user never registered has no account, so the guard answers USR-NOT-FOUND.
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        administrable_by(who, account_id)(&user)?;
        let position = self
            .revoke_trusted_devices(user_id, DeviceRevokeReason::Admin, facts)
            .await?;
        Ok(Outcome {
            id: user_id,
            position,
        })
    }

    /// The device `token` names when it is one of `user`'s and not revoked, with whether it is
    /// trusted now. Writes nothing.
    pub(super) async fn presented_device(
        &self,
        user: &User,
        token: Option<&str>,
    ) -> Result<Option<(Uuid, bool)>, AppError> {
        let Some(parsed) = token.and_then(chronid_crypto::ParsedDeviceToken::parse) else {
            return Ok(None);
        };
        let (device, seq) = self
            .exec
            .load::<Device>(&parsed.device_id.to_string())
            .await?;
        let known = seq > 0
            && device.user_id.is_some()
            && device.user_id == user.id
            && device.revoked.is_none()
            && device
                .token_hash
                .as_ref()
                .is_some_and(|h| h.matches_digest(&parsed.secret_hash));
        if !known {
            return Ok(None);
        }
        let now = self.exec.services().clock.now();
        let trusted = device.is_trusted(now, self.trust_for, user.trust_epoch);
        Ok(Some((parsed.device_id, trusted)))
    }
}
