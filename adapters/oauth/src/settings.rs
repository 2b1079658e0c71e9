//! The providers a deployment offers, from its settings: Google (any OpenID Connect provider at
//! `CHRONID_GOOGLE_ISSUER`) and GitHub (github.com, GitHub Enterprise, or a stand-in). A provider
//! without a client id is off. Every error names the setting at fault.

use secrecy::SecretString;

/// The settings as given (flags or `CHRONID_*` variables), before they are checked.
#[derive(Debug, Clone, Default)]
pub struct RawProviders {
    pub google_client_id: Option<String>,
    pub google_client_secret: Option<String>,
    pub google_issuer: Option<String>,
    pub github_client_id: Option<String>,
    pub github_client_secret: Option<String>,
    pub github_url: Option<String>,
    pub github_api_url: Option<String>,
}

/// Google, or any OpenID Connect provider: discovery and JWKS come from its issuer.
#[derive(Debug, Clone)]
pub struct GoogleSettings {
    pub client_id: String,
    pub client_secret: SecretString,
    /// Without a trailing slash.
    pub issuer: String,
}

/// GitHub: the OAuth app's pages at `web_url`, the REST API at `api_url`.
#[derive(Debug, Clone)]
pub struct GithubSettings {
    pub client_id: String,
    pub client_secret: SecretString,
    pub web_url: String,
    pub api_url: String,
}

/// The providers that are on.
#[derive(Debug, Clone, Default)]
pub struct Providers {
    pub google: Option<GoogleSettings>,
    pub github: Option<GithubSettings>,
}

pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const GITHUB_URL: &str = "https://github.com";
pub const GITHUB_API_URL: &str = "https://api.github.com";

/// A setting that cannot be used, with the names of the flag and the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--{flag} / CHRONID_{variable}: {why}")]
pub struct SettingError {
    pub flag: &'static str,
    pub variable: &'static str,
    pub why: String,
}

fn error(flag: &'static str, why: impl Into<String>) -> SettingError {
    SettingError {
        flag,
        variable: match flag {
            "google-client-id" => "GOOGLE_CLIENT_ID",
            "google-client-secret" => "GOOGLE_CLIENT_SECRET",
            "google-issuer" => "GOOGLE_ISSUER",
            "github-client-id" => "GITHUB_CLIENT_ID",
            "github-client-secret" => "GITHUB_CLIENT_SECRET",
            "github-url" => "GITHUB_URL",
            _ => "GITHUB_API_URL",
        },
        why: why.into(),
    }
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// An https URL (or http to this machine, for tests and development), without a trailing slash,
/// query or fragment.
fn base_url(flag: &'static str, raw: &str) -> Result<String, SettingError> {
    let url = reqwest::Url::parse(raw).map_err(|e| error(flag, format!("not a URL ({e})")))?;
    let local = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        _ => {
            return Err(error(
                flag,
                "must be an https:// URL (http:// only to this machine)",
            ))
        }
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(error(flag, "must have no query, fragment or credentials"));
    }
    Ok(raw.trim().trim_end_matches('/').to_string())
}

/// The client id and secret of one provider: both, or neither (off).
fn client(
    id: &Option<String>,
    secret: &Option<String>,
    id_flag: &'static str,
    secret_flag: &'static str,
) -> Result<Option<(String, SecretString)>, SettingError> {
    match (given(id), given(secret)) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(error(secret_flag, format!("is required with --{id_flag}"))),
        (None, Some(_)) => Err(error(id_flag, format!("is required with --{secret_flag}"))),
        (Some(id), Some(secret)) => Ok(Some((id.to_string(), SecretString::from(secret)))),
    }
}

impl Providers {
    /// Checks the settings.
    pub fn from_raw(raw: &RawProviders) -> Result<Self, SettingError> {
        let google = match client(
            &raw.google_client_id,
            &raw.google_client_secret,
            "google-client-id",
            "google-client-secret",
        )? {
            None => None,
            Some((client_id, client_secret)) => Some(GoogleSettings {
                client_id,
                client_secret,
                issuer: base_url(
                    "google-issuer",
                    given(&raw.google_issuer).unwrap_or(GOOGLE_ISSUER),
                )?,
            }),
        };
        let github = match client(
            &raw.github_client_id,
            &raw.github_client_secret,
            "github-client-id",
            "github-client-secret",
        )? {
            None => None,
            Some((client_id, client_secret)) => Some(GithubSettings {
                client_id,
                client_secret,
                web_url: base_url("github-url", given(&raw.github_url).unwrap_or(GITHUB_URL))?,
                api_url: base_url(
                    "github-api-url",
                    given(&raw.github_api_url).unwrap_or(GITHUB_API_URL),
                )?,
            }),
        };
        Ok(Self { google, github })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn raw() -> RawProviders {
        RawProviders::default()
    }

    #[test]
    fn no_client_id_means_off_and_the_defaults_are_the_real_providers() {
        let none = Providers::from_raw(&raw()).unwrap();
        assert!(none.google.is_none() && none.github.is_none());
        let on = Providers::from_raw(&RawProviders {
            google_client_id: Some("g-id".into()),
            google_client_secret: Some("g-secret".into()),
            github_client_id: Some("gh-id".into()),
            github_client_secret: Some("gh-secret".into()),
            ..raw()
        })
        .unwrap();
        let google = on.google.unwrap();
        assert_eq!(google.issuer, GOOGLE_ISSUER);
        assert_eq!(google.client_secret.expose_secret(), "g-secret");
        let github = on.github.unwrap();
        assert_eq!(
            (github.web_url.as_str(), github.api_url.as_str()),
            (GITHUB_URL, GITHUB_API_URL)
        );
    }

    #[test]
    fn each_error_names_its_setting_and_never_the_secret() {
        let cases: Vec<(RawProviders, &str)> = vec![
            (
                RawProviders {
                    google_client_id: Some("g-id".into()),
                    ..raw()
                },
                "CHRONID_GOOGLE_CLIENT_SECRET",
            ),
            (
                RawProviders {
                    github_client_secret: Some("leftover-secret".into()),
                    ..raw()
                },
                "CHRONID_GITHUB_CLIENT_ID",
            ),
            (
                RawProviders {
                    google_client_id: Some("g-id".into()),
                    google_client_secret: Some("g-secret".into()),
                    google_issuer: Some("http://accounts.example.com".into()),
                    ..raw()
                },
                "CHRONID_GOOGLE_ISSUER",
            ),
            (
                RawProviders {
                    github_client_id: Some("gh-id".into()),
                    github_client_secret: Some("gh-secret".into()),
                    github_api_url: Some("https://api.example.com/?x=1".into()),
                    ..raw()
                },
                "CHRONID_GITHUB_API_URL",
            ),
            (
                RawProviders {
                    github_client_id: Some("gh-id".into()),
                    github_client_secret: Some("gh-secret".into()),
                    github_url: Some("not a url".into()),
                    ..raw()
                },
                "CHRONID_GITHUB_URL",
            ),
        ];
        for (given, setting) in cases {
            let said = Providers::from_raw(&given).unwrap_err().to_string();
            assert!(said.contains(setting), "{said} should name {setting}");
            assert!(!said.contains("secret\""), "{said}");
            for secret in ["g-secret", "gh-secret", "leftover-secret"] {
                assert!(!said.contains(secret), "{said} shows a secret");
            }
        }
    }

    #[test]
    fn http_is_taken_only_to_this_machine_and_trailing_slashes_go() {
        let local = Providers::from_raw(&RawProviders {
            google_client_id: Some("g".into()),
            google_client_secret: Some("s".into()),
            google_issuer: Some("http://127.0.0.1:4000/".into()),
            ..raw()
        })
        .unwrap();
        assert_eq!(local.google.unwrap().issuer, "http://127.0.0.1:4000");
    }
}
