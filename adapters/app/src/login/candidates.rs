//! Who a login names: the users holding the email or username, in one account or in all, and
//! the constant-time answer when it names no one (a dummy password check padded to the cost of
//! real ones).

use chronid_crypto::{random_bytes, sha256_hex};
use chronid_domain::reservation::{email_key, username_key, Reservation};
use chronid_domain::user::User;
use chronid_domain::values::{Email, Password, Username};
use chronid_store::login_state::claimed_logins;
use uuid::Uuid;

use super::*;
use super::{App, AppError};

impl App {
    /// The users holding `login` as email or username, in `account_id` or in any account.
    pub(crate) async fn login_candidates(
        &self,
        login: &str,
        account_id: Option<Uuid>,
    ) -> Result<Vec<User>, AppError> {
        let email = Email::parse(login).ok();
        let username = Username::parse(login).ok();
        let keys: Vec<String> = match account_id {
            Some(account) => email
                .iter()
                .map(|e| email_key(account, e))
                .chain(username.iter().map(|u| username_key(account, u)))
                .collect(),
            None => {
                let values: Vec<String> = email
                    .iter()
                    .map(Email::key)
                    .chain(username.iter().map(Username::key))
                    .collect();
                if values.is_empty() {
                    return Ok(Vec::new());
                }
                claimed_logins(self.exec.pool(), &values, 2 * MAX_CANDIDATES as i64)
                    .await
                    .map_err(AppError::internal)?
            }
        };
        let mut users: Vec<User> = Vec::new();
        for key in keys {
            let held = self
                .exec
                .store::<Reservation>()
                .load(&key)
                .await
                .map_err(AppError::internal)?
                .aggregate;
            let Some(owner) = held.owner else { continue };
            if users.iter().any(|u| u.id == Some(owner)) {
                continue;
            }
            let (user, seq) = self.exec.load::<User>(&owner.to_string()).await?;
            if seq > 0 {
                users.push(user);
            }
            if users.len() == MAX_CANDIDATES {
                break;
            }
        }
        Ok(users)
    }

    /// Checks `password` against a hash of a random password made once with the configured
    /// parameters: the work of a real check, for a login that names no one with a password.
    pub(crate) async fn verify_dummy(&self, password: &Password) -> Result<(), AppError> {
        let hasher = &self.exec.services().hasher;
        let dummy = self
            .sessions
            .dummy_hash
            .get_or_try_init(|| async {
                let random = sha256_hex(&random_bytes::<32>());
                let password = Password::presented(&random).map_err(AppError::from)?;
                hasher.hash(&password).await.map_err(port)
            })
            .await?;
        self.check_password(password, dummy).await?;
        Ok(())
    }
}
