//! Delivery channels behind small ports: email over SMTP (lettre) and SMS / voice through a
//! Twilio-style HTTP provider. Errors are short texts safe to record in an event: they never hold
//! the message, the code or a credential.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};

/// Sends an email.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String>;
}

/// Sends a text message or places a voice call.
#[async_trait::async_trait]
pub trait PhoneSender: Send + Sync {
    async fn sms(&self, to: &str, body: &str) -> Result<(), String>;
    async fn call(&self, to: &str, twiml: &str) -> Result<(), String>;
}

/// SMTP through lettre. The URL is lettre's: `smtp://host:port` (plain; for a local relay),
/// `smtp://host:587?tls=required` (STARTTLS) or `smtps://host:465`, with `user:password@` for
/// authentication.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("invalid SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("invalid sender address: {e}"))?;
        Ok(Self { transport, from })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to = to
            .parse::<Mailbox>()
            .map_err(|e| format!("invalid recipient address: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_string())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("smtp: {e}"))
    }
}

/// A Twilio-style provider: `POST {base}/Messages.json` (To, From, Body) and
/// `POST {base}/Calls.json` (To, From, Twiml), form-encoded; credentials in the base URL's user
/// part go as HTTP basic authentication.
pub struct HttpPhoneSender {
    client: reqwest::Client,
    base: String,
    auth: Option<(String, String)>,
    from: String,
}

impl HttpPhoneSender {
    pub fn new(base_url: &str, from: &str) -> Result<Self, String> {
        let mut url = reqwest::Url::parse(base_url).map_err(|e| format!("invalid SMS URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("invalid SMS URL: the scheme must be http or https".into());
        }
        let auth = (!url.username().is_empty()).then(|| {
            (
                url.username().to_string(),
                url.password().unwrap_or_default().to_string(),
            )
        });
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            base: url.as_str().trim_end_matches('/').to_string(),
            auth,
            from: from.to_string(),
        })
    }

    async fn post(&self, resource: &str, form: &[(&str, &str)]) -> Result<(), String> {
        let mut request = self
            .client
            .post(format!("{}/{resource}", self.base))
            .form(form);
        if let Some((user, password)) = &self.auth {
            request = request.basic_auth(user, Some(password));
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("provider unreachable: {}", e.without_url()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("provider answered {}", status.as_u16()))
        }
    }
}

#[async_trait::async_trait]
impl PhoneSender for HttpPhoneSender {
    async fn sms(&self, to: &str, body: &str) -> Result<(), String> {
        self.post(
            "Messages.json",
            &[("To", to), ("From", &self.from), ("Body", body)],
        )
        .await
    }

    async fn call(&self, to: &str, twiml: &str) -> Result<(), String> {
        self.post(
            "Calls.json",
            &[("To", to), ("From", &self.from), ("Twiml", twiml)],
        )
        .await
    }
}
