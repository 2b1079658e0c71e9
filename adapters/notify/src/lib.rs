//! The notifier: fed by the stream, it delivers what commands decided to send — password reset
//! links and two-factor codes — and records the outcome on the User with a further command
//! (`PasswordResetEmailSent` / `...Failed`, `TwoFactorCodeDelivered` / `...DeliveryFailed`).
//!
//! A durable JetStream pull consumer takes only the two event types that ask for a delivery. The
//! published envelope carries no secret, so the notifier reads the stored event (which holds the
//! token or code sealed) from the store by aggregate id and sequence, and opens it with the
//! sealing key. Several nodes share the consumer, each message going to one of them. A delivery
//! already recorded on the User is not repeated, and one whose link or code has expired or been
//! used is dropped, so a redelivered or replayed message does no harm.

mod delivery;
mod messages;

pub use delivery::{HttpPhoneSender, Mailer, PhoneSender, SmtpMailer};
pub use messages::{check as check_messages, Messages};

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, AckKind};
use chronid_domain::account::Account;
use chronid_domain::metadata::RequestFacts;
use chronid_domain::public::PublicEnvelope;
use chronid_domain::user::{User, UserCommand, UserError, UserEvent};
use chronid_domain::values::{StoredSecret, TwoFactorChannel};
use futures::StreamExt;
use tokio::sync::watch;
use uuid::Uuid;

use chronid_app::i18n::Lang;
use chronid_app::App;
use chronid_store::CommandError;
use chronid_stream::StreamConfig;

const LOG_TARGET: &str = "chronid::notifier";
/// The durable consumer every node's notifier shares.
const DURABLE: &str = "chronid-notifier";
/// Tries of one delivery before its failure is recorded.
const TRIES: u32 = 3;

/// Where links in emails point and what sends.
#[derive(Clone)]
pub struct NotifierConfig {
    /// Base of links in emails (`CHRONID_PUBLIC_URL`), without a trailing slash.
    pub public_url: String,
    pub mailer: Option<Arc<dyn Mailer>>,
    pub phone: Option<Arc<dyn PhoneSender>>,
    /// Pause between tries of one delivery.
    pub retry_delay: Duration,
}

#[derive(Clone)]
pub struct Notifier {
    app: App,
    messages: Messages,
    js: jetstream::Context,
    stream: StreamConfig,
    config: NotifierConfig,
}

/// What one message asks to deliver.
enum Delivery {
    ResetLink {
        request_id: Uuid,
        token_sealed: StoredSecret,
    },
    Code {
        challenge_id: Uuid,
        channel: TwoFactorChannel,
        code_sealed: StoredSecret,
    },
}

/// Why a message was not handled; it is redelivered later.
#[derive(Debug)]
struct Transient(String);

impl Notifier {
    /// A notifier; fails only when its message catalogues do not parse (which the tests
    /// catch before a release).
    pub fn new(
        app: App,
        js: jetstream::Context,
        stream: StreamConfig,
        config: NotifierConfig,
    ) -> Result<Self, String> {
        Ok(Self {
            app,
            messages: Messages::load()?,
            js,
            stream,
            config,
        })
    }

    /// Runs until `shutdown` turns true, restarting the consumer after failures.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Duration::from_millis(500);
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.consume(&mut shutdown).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(target: LOG_TARGET, %error, "notifier consumer stopped; restarting");
                    tokio::select! {
                        _ = shutdown.changed() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    async fn consume(&self, shutdown: &mut watch::Receiver<bool>) -> Result<(), String> {
        let stream = self
            .js
            .get_stream(&self.stream.stream)
            .await
            .map_err(|e| e.to_string())?;
        let prefix = &self.stream.subject_prefix;
        let consumer: consumer::PullConsumer = stream
            .get_or_create_consumer(
                DURABLE,
                consumer::pull::Config {
                    durable_name: Some(DURABLE.to_string()),
                    description: Some("chronid notifier: reset links and 2FA codes".into()),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(120),
                    // One filter: several (`filter_subjects`) need nats-server 2.10, and 2.9
                    // ignores them and delivers everything. The event types are checked in
                    // `handle`.
                    filter_subject: format!("{prefix}.*.user.*"),
                    max_ack_pending: 1_000,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        let mut messages = consumer
            .stream()
            .heartbeat(Duration::from_secs(5))
            .expires(Duration::from_secs(30))
            .messages()
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(target: LOG_TARGET, "notifier consuming");
        loop {
            let next = tokio::select! {
                biased;
                _ = shutdown.changed() => return Ok(()),
                next = messages.next() => next,
            };
            let msg = match next {
                None => return Err("the message stream ended".into()),
                Some(Err(e)) => {
                    tracing::warn!(target: LOG_TARGET, error = %e, "reading the stream");
                    continue;
                }
                Some(Ok(msg)) => msg,
            };
            match self.handle(&msg.payload).await {
                Ok(()) => {
                    if let Err(e) = msg.ack().await {
                        tracing::warn!(target: LOG_TARGET, error = %e, "ack failed");
                    }
                }
                Err(Transient(error)) => {
                    tracing::warn!(target: LOG_TARGET, %error, "delivery postponed");
                    let _ = msg
                        .ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                        .await;
                }
            }
        }
    }

    /// One published event: deliver what it asks for, unless done or moot.
    async fn handle(&self, payload: &[u8]) -> Result<(), Transient> {
        let envelope: PublicEnvelope = match serde_json::from_slice(payload) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(target: LOG_TARGET, error = %e, "not an event envelope; skipped");
                return Ok(());
            }
        };
        if !delivers_for(&envelope) {
            return Ok(());
        }
        let (user_id, sequence) = (envelope.aggregate_id, envelope.sequence);
        let stored = self
            .app
            .executor()
            .store::<User>()
            .load_event(&user_id.to_string(), sequence)
            .await;
        let stored = match stored {
            Ok(Some(event)) => Ok(event),
            Ok(None) => {
                tracing::warn!(target: LOG_TARGET, %user_id, sequence, "published event not in the store; skipped");
                return Ok(());
            }
            Err(cqrs_es::AggregateError::DeserializationError(e)) => Err(e),
            Err(e) => return Err(Transient(format!("reading the stored event: {e}"))),
        };
        let delivery = match stored {
            Ok(UserEvent::PasswordResetRequested {
                request_id,
                token_sealed: Some(token_sealed),
                ..
            }) => Delivery::ResetLink {
                request_id,
                token_sealed,
            },
            Ok(UserEvent::TwoFactorChallengeIssued {
                challenge_id,
                channel,
                code_sealed: Some(code_sealed),
                ..
            }) => Delivery::Code {
                challenge_id,
                channel,
                code_sealed,
            },
            // A TOTP challenge (nothing to send) or an older reset request without a sealed token.
            Ok(_) => return Ok(()),
            Err(e) => {
                tracing::warn!(target: LOG_TARGET, error = %e, "unreadable stored event; skipped");
                return Ok(());
            }
        };
        self.deliver(user_id, delivery).await
    }

    async fn deliver(&self, user_id: Uuid, delivery: Delivery) -> Result<(), Transient> {
        let exec = self.app.executor();
        let (user, _) = exec
            .load::<User>(&user_id.to_string())
            .await
            .map_err(|e| Transient(e.to_string()))?;
        let now = exec.services().clock.now();
        let sealer = exec.services().sealer.clone();
        let open = |sealed: &StoredSecret| -> Result<String, String> {
            sealer
                .open(sealed)
                .map_err(|e| e.to_string())
                .and_then(|b| String::from_utf8(b).map_err(|_| "sealed value is not text".into()))
        };
        let (result, command) = match delivery {
            Delivery::ResetLink {
                request_id,
                token_sealed,
            } => {
                let Some(pending) = user.reset_requests.get(&request_id) else {
                    return Ok(()); // used, superseded or pruned
                };
                if pending.delivery_recorded || pending.expires_at <= now {
                    return Ok(());
                }
                let result = match (open(&token_sealed), &user.email) {
                    (Ok(token), Some(email)) => {
                        let (account, lang) = self.account_of(&user).await;
                        let (subject, body) = self.messages.reset_email(
                            lang,
                            &self.config.public_url,
                            &account,
                            &token,
                        );
                        self.with_tries(|| self.send_mail(email.as_str(), &subject, &body))
                            .await
                    }
                    (Err(e), _) => Err(format!("cannot open the token: {e}")),
                    (_, None) => Err("the user has no email address".into()),
                };
                (
                    result.clone(),
                    UserCommand::RecordResetEmail {
                        request_id,
                        error: result.err(),
                    },
                )
            }
            Delivery::Code {
                challenge_id,
                channel,
                code_sealed,
            } => {
                let Some(challenge) = user.challenges.get(&challenge_id) else {
                    return Ok(()); // passed or pruned
                };
                if challenge.delivery_recorded || challenge.expires_at <= now {
                    return Ok(());
                }
                let result = match open(&code_sealed) {
                    Ok(code) => self.send_code(&user, channel, &code).await,
                    Err(e) => Err(format!("cannot open the code: {e}")),
                };
                (
                    result.clone(),
                    UserCommand::RecordCodeDelivery {
                        challenge_id,
                        error: result.err(),
                    },
                )
            }
        };
        if let Err(error) = &result {
            tracing::warn!(target: LOG_TARGET, %user_id, %error, "delivery failed");
        }
        match exec
            .execute::<User>(&user_id.to_string(), command, &RequestFacts::system())
            .await
        {
            Ok(_) | Err(CommandError::Domain(UserError::DeliveryAlreadyRecorded)) => Ok(()),
            Err(CommandError::Domain(other)) => {
                tracing::warn!(target: LOG_TARGET, %user_id, error = %other, "delivery outcome not recorded");
                Ok(())
            }
            Err(other) => Err(Transient(format!("recording the outcome: {other}"))),
        }
    }

    /// The name of the user's account, and the language messages to the user are written in:
    /// the user's, else the account's, else English.
    async fn account_of(&self, user: &User) -> (String, Lang) {
        let account = match user.account_id {
            Some(id) => self
                .app
                .executor()
                .load::<Account>(&id.to_string())
                .await
                .ok()
                .map(|(a, _)| a),
            None => None,
        };
        let name = account
            .as_ref()
            .and_then(|a| a.name.as_ref())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default();
        let language = user
            .language
            .as_ref()
            .map(|l| l.as_str().to_string())
            .or_else(|| {
                account
                    .as_ref()
                    .and_then(|a| a.customization.language.as_ref())
                    .map(|l| l.as_str().to_string())
            });
        (name, Lang::of(language.as_deref()))
    }

    async fn send_mail(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        match &self.config.mailer {
            Some(mailer) => mailer.send(to, subject, body).await,
            None => Err("email delivery is not configured (CHRONID_SMTP_URL)".into()),
        }
    }

    async fn send_code(
        &self,
        user: &User,
        channel: TwoFactorChannel,
        code: &str,
    ) -> Result<(), String> {
        let phone = user.phone.as_ref().map(|p| p.as_str().to_string());
        let (_, lang) = self.account_of(user).await;
        match channel {
            TwoFactorChannel::Email => {
                let Some(email) = &user.email else {
                    return Err("the user has no email address".into());
                };
                let (subject, body) = self.messages.code_email(lang, code);
                self.with_tries(|| self.send_mail(email.as_str(), &subject, &body))
                    .await
            }
            TwoFactorChannel::Sms | TwoFactorChannel::Voice => {
                let (Some(sender), Some(phone)) = (&self.config.phone, phone) else {
                    return Err(if self.config.phone.is_none() {
                        "SMS and voice delivery are not configured (CHRONID_SMS_URL)".into()
                    } else {
                        "the user has no phone number".into()
                    });
                };
                if channel == TwoFactorChannel::Sms {
                    let body = self.messages.code_sms(lang, code);
                    self.with_tries(|| sender.sms(&phone, &body)).await
                } else {
                    let twiml = self.messages.code_twiml(lang, code);
                    self.with_tries(|| sender.call(&phone, &twiml)).await
                }
            }
            TwoFactorChannel::Totp => Ok(()),
        }
    }

    async fn with_tries<F, Fut>(&self, mut send: F) -> Result<(), String>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let mut last = String::new();
        for attempt in 1..=TRIES {
            match send().await {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
            if attempt < TRIES {
                tokio::time::sleep(self.config.retry_delay * attempt).await;
            }
        }
        Err(last)
    }
}

/// Whether a published event is one the notifier delivers for: a user's reset request or
/// second-factor challenge. The consumer's filter narrows to user events; a durable consumer
/// made by a server older than 2.10 may have no filter at all.
fn delivers_for(envelope: &PublicEnvelope) -> bool {
    envelope.aggregate_type == "user"
        && matches!(
            envelope.event_type.as_str(),
            "PasswordResetRequested" | "TwoFactorChallengeIssued"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_reset_requests_and_challenges_of_users_are_delivered_for() {
        // As API.md spells a published event.
        let published = |aggregate_type: &str, event_type: &str| -> PublicEnvelope {
            serde_json::from_value(json!({
                "id": Uuid::nil(), "type": event_type, "version": "1",
                "aggregate_type": aggregate_type, "aggregate_id": Uuid::nil(),
                "sequence": 4, "position": 9, "account_id": Uuid::nil(),
                "occurred_at": "2026-12-03T08:00:00Z", "recorded_at": "2026-12-03T08:00:00Z",
                "actor": {"kind": "system", "id": null},
                "ip": null, "user_agent": null, "correlation_id": null, "data": {}
            }))
            .unwrap()
        };
        for event_type in ["PasswordResetRequested", "TwoFactorChallengeIssued"] {
            assert!(delivers_for(&published("user", event_type)));
            assert!(!delivers_for(&published("account", event_type)));
        }
        assert!(!delivers_for(&published("user", "UserLoggedIn")));
    }
}
