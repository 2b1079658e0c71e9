//! The devices a login comes from: a device the client has not presented is registered, with the
//! token the client keeps.

use chronid_crypto::DeviceToken;
use chronid_domain::device::{Device, DeviceCommand};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::values::{StoredSecret, UserAgent};
use secrecy::SecretString;
use uuid::Uuid;

use super::{App, AppError};

impl App {
    /// A device the user's client has not presented (or presented a token that is not the
    /// user's): registered, with the token the client is to keep.
    pub(crate) async fn register_device(
        &self,
        user_id: Uuid,
        account_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<(Uuid, SecretString), AppError> {
        let device_id = self.exec.services().ids.new_id();
        let minted = DeviceToken::mint(device_id);
        let command = DeviceCommand::Register {
            device_id,
            user_id,
            account_id,
            token_hash: StoredSecret(minted.secret_hash),
            label: None,
            user_agent: facts.user_agent.as_deref().and_then(UserAgent::new),
        };
        self.exec
            .execute::<Device>(&device_id.to_string(), command, facts)
            .await?;
        Ok((device_id, minted.token))
    }
}
