//! The end-to-end tests' real peers (`tests/peers/peers.py`, started by `scripts/peers.sh`, which
//! `scripts/test.sh` runs): an SMTP server (aiosmtpd), a stand-in Twilio-style SMS / voice
//! provider, and pyotp for authenticator codes computed independently of the server.
//!
//! Ports: `CHRONID_TEST_SMTP_PORT` (2525) and `CHRONID_TEST_PEERS_PORT` (2580). When the peers
//! do not answer, [`Peers::connect`] fails and says how to start them; nothing is skipped.

use std::time::Duration;

use anyhow::{bail, Context as _};
use serde::Deserialize;

/// Polls `all` until it holds an `n`-th item (1-based), for up to 30 s.
async fn nth<T: Clone, F, Fut>(what: &str, n: usize, all: F) -> anyhow::Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Vec<T>>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let items = all().await?;
        if let Some(item) = items.get(n.saturating_sub(1)) {
            return Ok(item.clone());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("no {what} within 30 s (got {})", items.len());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A phone number the stand-in provider refuses with a 500.
pub const FAILING_NUMBER: &str = "+15550000000";

#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Text {
    /// sms | voice
    pub kind: String,
    pub to: Option<String>,
    pub from: Option<String>,
    pub body: Option<String>,
    pub twiml: Option<String>,
    /// The account SID the request authenticated as (HTTP basic authentication checked against
    /// the SID of its path and the auth token, as the real provider does).
    pub account: Option<String>,
}

#[derive(Clone)]
pub struct Peers {
    http: reqwest::Client,
    base: String,
    smtp_port: u16,
}

fn port(var: &str, default: u16) -> u16 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Peers {
    pub async fn connect() -> anyhow::Result<Self> {
        let peers = Self {
            http: reqwest::Client::new(),
            base: format!("http://127.0.0.1:{}", port("CHRONID_TEST_PEERS_PORT", 2580)),
            smtp_port: port("CHRONID_TEST_SMTP_PORT", 2525),
        };
        let answer = peers
            .http
            .get(format!("{}/health", peers.base))
            .timeout(Duration::from_secs(3))
            .send()
            .await;
        if !answer.is_ok_and(|r| r.status().is_success()) {
            bail!(
                "the test peers (SMTP server, SMS provider, pyotp) do not answer at {}: start them with `scripts/peers.sh start` (scripts/test.sh does)",
                peers.base
            );
        }
        Ok(peers)
    }

    /// lettre's URL of the SMTP peer.
    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.smtp_port)
    }

    /// The provider's base URL, with credentials (sent as basic authentication).
    pub fn sms_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/ACtest/",
            self.base.replace("http://", "http://ACtest:token@")
        )
    }

    /// Every mail to `address` so far, oldest first.
    pub async fn mails_to(&self, address: &str) -> anyhow::Result<Vec<Mail>> {
        let all: Vec<Mail> = self
            .http
            .get(format!("{}/mail", self.base))
            .send()
            .await?
            .json()
            .await?;
        Ok(all
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect())
    }

    /// Waits for the `n`-th mail (1-based) to `address`.
    pub async fn nth_mail_to(&self, address: &str, n: usize) -> anyhow::Result<Mail> {
        nth(&format!("mail #{n} to {address}"), n, || {
            self.mails_to(address)
        })
        .await
    }

    /// Every text or call to `number` so far, oldest first.
    pub async fn texts_to(&self, number: &str) -> anyhow::Result<Vec<Text>> {
        let all: Vec<Text> = self
            .http
            .get(format!("{}/sms", self.base))
            .send()
            .await?
            .json()
            .await?;
        Ok(all
            .into_iter()
            .filter(|t| t.to.as_deref() == Some(number))
            .collect())
    }

    /// Waits for the `n`-th text or call (1-based) to `number`.
    pub async fn nth_text_to(&self, number: &str, n: usize) -> anyhow::Result<Text> {
        nth(&format!("text #{n} to {number}"), n, || {
            self.texts_to(number)
        })
        .await
    }

    /// The authenticator code of `secret` (base32) at `unix_time` (now if None), by pyotp.
    pub async fn totp(&self, secret: &str, unix_time: Option<i64>) -> anyhow::Result<String> {
        let mut url = format!("{}/totp?secret={secret}", self.base);
        if let Some(t) = unix_time {
            url.push_str(&format!("&at={t}"));
        }
        let v: serde_json::Value = self.http.get(url).send().await?.json().await?;
        v["code"]
            .as_str()
            .map(str::to_string)
            .context("pyotp gave no code")
    }
}

/// The first run of `digits` consecutive ASCII digits in `text` (a code in a message).
pub fn code_in(text: &str, digits: usize) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(digits - 1)).find_map(|i| {
        let window = &bytes[i..i + digits];
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + digits).copied();
        (window.iter().all(u8::is_ascii_digit)
            && !before.is_some_and(|b| b.is_ascii_digit())
            && !after.is_some_and(|b| b.is_ascii_digit()))
        .then(|| String::from_utf8_lossy(window).into_owned())
    })
}
