//! The end-to-end tests' real peers (`tests/peers/peers.py`): an SMTP server (aiosmtpd), a
//! stand-in Twilio-style SMS / voice provider, and pyotp for authenticator codes computed
//! independently of the server.
//!
//! Each test starts its own peers ([`Peers::start`]) on ports the system hands out, so no two
//! tests share a mailbox or a port; they stop when the test drops them (or its process ends).
//! When Python or its packages are missing, `start` fails and says how to install them
//! (`scripts/peers.sh install`, which `scripts/test.sh` runs); nothing is skipped.

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

/// The peers' process, killed when the last handle on it goes, with its output kept open.
struct Process {
    child: std::sync::Mutex<tokio::process::Child>,
    _stdout: tokio::io::BufReader<tokio::process::ChildStdout>,
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(child) = self.child.get_mut() {
            let _ = child.start_kill();
        }
    }
}

#[derive(Clone)]
pub struct Peers {
    http: reqwest::Client,
    base: String,
    smtp_port: u16,
    _process: std::sync::Arc<Process>,
}

#[derive(Deserialize)]
struct Listening {
    smtp_port: u16,
    http_port: u16,
}

impl Peers {
    /// Starts a fresh set of peers on free ports, and waits until they answer.
    pub async fn start() -> anyhow::Result<Self> {
        let args = ["--smtp-port", "0", "--http-port", "0"].map(String::from);
        let (child, stdout, first, said) = launch_with(
            "python3",
            "peers.py",
            &args,
            "the test peers (SMTP server, SMS provider, pyotp)",
            "aiosmtpd or pyotp",
        )
        .await?;
        let ports: Listening = match serde_json::from_str(&first) {
            Ok(ports) => ports,
            Err(_) => bail!("the test peers said {first:?} instead of their ports\n{said}"),
        };
        let peers = Self {
            http: reqwest::Client::new(),
            base: format!("http://127.0.0.1:{}", ports.http_port),
            smtp_port: ports.smtp_port,
            _process: std::sync::Arc::new(Process {
                child: std::sync::Mutex::new(child),
                _stdout: stdout,
            }),
        };
        let answer = peers
            .http
            .get(format!("{}/health", peers.base))
            .timeout(Duration::from_secs(3))
            .send()
            .await;
        if !answer.is_ok_and(|r| r.status().is_success()) {
            bail!(
                "the test peers started but do not answer at {}\n{said}",
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

/// Starts `tests/peers/{script}` with `program` (python3, or node for the npm peers) and `args`
/// (and `--parent-pid`, so it ends with this process), and reads the one line it prints once
/// listening. Returns the process, its output, that line, and what it wrote on stderr so far
/// (for messages). `needs` names the packages whose absence is the likely cause of a failure.
async fn launch_with(
    program: &str,
    script: &str,
    args: &[String],
    what: &str,
    needs: &str,
) -> anyhow::Result<(
    tokio::process::Child,
    tokio::io::BufReader<tokio::process::ChildStdout>,
    String,
    String,
)> {
    use tokio::io::AsyncBufReadExt as _;
    let path = format!("{}/peers/{script}", env!("CARGO_MANIFEST_DIR"));
    let how = "install them with `scripts/peers.sh install` (scripts/test.sh does)";
    // Errors go to a file, read back if the peer does not start (a pipe nobody reads could fill
    // up and stall it).
    let errors = tempfile::NamedTempFile::new()?;
    let mut child = tokio::process::Command::new(program)
        .arg(&path)
        .args(args)
        .arg("--parent-pid")
        .arg(std::process::id().to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(errors.reopen()?)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot run {program} for {what}: {how}"))?;
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().context("the peer's output")?);
    let mut first = String::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stdout.read_line(&mut first)).await;
    let said = || std::fs::read_to_string(errors.path()).unwrap_or_default();
    match read {
        Ok(Ok(_)) if first.is_empty() => {
            let status = child.wait().await?;
            bail!(
                "{what} exited ({status}) before listening; if {program}'s {needs} is missing, {how}\n{}",
                said()
            );
        }
        Ok(Ok(_)) => Ok((child, stdout, first, said())),
        Ok(Err(e)) => {
            let _ = child.start_kill();
            bail!("cannot read the output of {what}: {e}\n{}", said());
        }
        Err(_) => {
            let _ = child.start_kill();
            bail!(
                "{what} did not say where it listens within 20 s\n{}",
                said()
            );
        }
    }
}

/// The SAML identity provider of the SSO tests (`tests/peers/saml_idp.py`: pysaml2 with
/// xmlsec1), signing with a key of its own drawn at start.
pub struct SamlIdp {
    pub entity_id: String,
    /// The HTTP-Redirect single sign-on URL.
    pub sso_url: String,
    /// Its signing certificate (PEM), for the SP's configuration.
    pub certificate_pem: String,
    pub base: String,
    http: reqwest::Client,
    _process: Process,
}

#[derive(Deserialize)]
struct IdpListening {
    port: u16,
    entity_id: String,
    sso_url: String,
    certificate_pem: String,
}

impl SamlIdp {
    /// Starts an IdP that reads the SP metadata at `sp_metadata_urls` (lazily, before each
    /// request, so the SP may be configured after the IdP started).
    pub async fn start(sp_metadata_urls: &[String]) -> anyhow::Result<Self> {
        let mut args = vec!["--port".to_string(), "0".to_string()];
        for url in sp_metadata_urls {
            args.push("--sp-metadata-url".into());
            args.push(url.clone());
        }
        let (child, stdout, first, said) = launch_with(
            "python3",
            "saml_idp.py",
            &args,
            "the SAML IdP peer (pysaml2)",
            "pysaml2 (or xmlsec1)",
        )
        .await?;
        let listening: IdpListening = serde_json::from_str(&first)
            .with_context(|| format!("the SAML IdP peer said {first:?}\n{said}"))?;
        Ok(Self {
            base: format!("http://127.0.0.1:{}", listening.port),
            entity_id: listening.entity_id,
            sso_url: listening.sso_url,
            certificate_pem: listening.certificate_pem,
            http: reqwest::Client::new(),
            _process: Process {
                child: std::sync::Mutex::new(child),
                _stdout: stdout,
            },
        })
    }

    /// A Response built for the attack catalogue (`mode`: valid, unsigned, other_key, sha1,
    /// expired, not_yet_valid, wrong_audience, wrong_destination, unsolicited), as JSON with
    /// `acs_url`, `saml_response` (base64) and `relay_state`.
    pub async fn test_response(&self, query: &[(&str, &str)]) -> anyhow::Result<serde_json::Value> {
        let r = self
            .http
            .get(format!("{}/sso/test-response", self.base))
            .query(query)
            .send()
            .await?;
        let status = r.status();
        let body = r.text().await?;
        if !status.is_success() {
            bail!("the SAML IdP peer answered {status}: {body}");
        }
        Ok(serde_json::from_str(&body)?)
    }
}

/// The arguments that register the one client of a provider peer.
fn client_args(client_id: &str, client_secret: &str, redirect_uri: &str) -> Vec<String> {
    [
        "--client-id",
        client_id,
        "--client-secret",
        client_secret,
        "--redirect-uri",
        redirect_uri,
    ]
    .map(str::to_string)
    .to_vec()
}

/// The OpenID Connect provider of the Google login tests (`tests/peers/oidc_provider.mjs`:
/// panva's oidc-provider from npm, run with Node): one static client, PKCE required, the email
/// claims in the ID token; its development login and consent pages take any login, which
/// becomes the account's `sub` and email (verified unless it starts with "unverified").
pub struct OidcProvider {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    _process: Process,
}

#[derive(Deserialize)]
struct OidcListening {
    issuer: String,
}

impl OidcProvider {
    /// Starts a provider whose client may redirect to `redirect_uri`.
    // A test peer's client credentials, not ids of the domain.
    #[allow(clippy::disallowed_methods)]
    pub async fn start(redirect_uri: &str) -> anyhow::Result<Self> {
        let client_id = format!("chronid-{}", uuid::Uuid::new_v4().simple());
        let client_secret = uuid::Uuid::new_v4().simple().to_string();
        let args = client_args(&client_id, &client_secret, redirect_uri);
        let (child, stdout, first, said) = launch_with(
            "node",
            "oidc_provider.mjs",
            &args,
            "the OpenID Connect provider peer (oidc-provider)",
            "oidc-provider (npm)",
        )
        .await?;
        let listening: OidcListening = serde_json::from_str(&first)
            .with_context(|| format!("the OpenID Connect provider said {first:?}\n{said}"))?;
        Ok(Self {
            issuer: listening.issuer,
            client_id,
            client_secret,
            _process: Process {
                child: std::sync::Mutex::new(child),
                _stdout: stdout,
            },
        })
    }
}

/// The stand-in for GitHub of the GitHub login tests (`tests/peers/github_standin.py`): the
/// OAuth app flow with PKCE and the REST API's `/user` and `/user/emails`, as GitHub documents
/// them; web and API at the same base URL.
pub struct GithubStandIn {
    pub base: String,
    pub client_id: String,
    pub client_secret: String,
    _process: Process,
}

#[derive(Deserialize)]
struct GithubListening {
    base: String,
}

impl GithubStandIn {
    /// Starts a stand-in whose OAuth app redirects to `redirect_uri`.
    // A test peer's client credentials, not ids of the domain.
    #[allow(clippy::disallowed_methods)]
    pub async fn start(redirect_uri: &str) -> anyhow::Result<Self> {
        let client_id = format!("Iv1.{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let client_secret = uuid::Uuid::new_v4().simple().to_string();
        let args = client_args(&client_id, &client_secret, redirect_uri);
        let (child, stdout, first, said) = launch_with(
            "python3",
            "github_standin.py",
            &args,
            "the GitHub stand-in",
            "python3",
        )
        .await?;
        let listening: GithubListening = serde_json::from_str(&first)
            .with_context(|| format!("the GitHub stand-in said {first:?}\n{said}"))?;
        Ok(Self {
            base: listening.base,
            client_id,
            client_secret,
            _process: Process {
                child: std::sync::Mutex::new(child),
                _stdout: stdout,
            },
        })
    }
}
