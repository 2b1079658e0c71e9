//! The pages in a real browser: Debian's chromium, headless, driven through chromedriver
//! (`chronid_tests::browser`), against a real `chronid serve` process with its relay, workers
//! and notifier mailing to the test SMTP server. Each test clicks through flows as a person
//! would, runs axe-core on every page it sees, and on a failure keeps a screenshot and the page
//! source under the target directory (`browser/<test>.png` and `.html`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{ensure, Context};
use chronid_tests::browser::{Browser, ENTER, TAB};
use chronid_tests::peers::{code_in, Peers};
use chronid_tests::TestEnv;
use common::*;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// A server with its peers, a browser, and the account bootstrapped.
struct Site {
    env: TestEnv,
    peers: Peers,
    serve: Serve,
    account: Account,
    browser: Browser,
    base: String,
}

impl Site {
    async fn start() -> Site {
        Self::start_with(&[]).await
    }

    /// The same with `browser_args` given to chromium.
    async fn start_with(browser_args: &[String]) -> Site {
        Self::start_configured(browser_args, free_port(), Vec::new()).await
    }

    /// The same serving at `port`, with the settings `extra` besides the usual ones.
    async fn start_configured(
        browser_args: &[String],
        port: u16,
        extra: Vec<(&str, String)>,
    ) -> Site {
        let env = TestEnv::new().await.unwrap();
        let peers = Peers::start().await.unwrap();
        let account = bootstrap(&env).await;
        let base = format!("http://127.0.0.1:{port}");
        let mut settings = vec![
            ("CHRONID_PUBLIC_URL", base.clone()),
            ("CHRONID_SMTP_URL", peers.smtp_url()),
            ("CHRONID_TERMS_URL", "https://acme.test/terms".into()),
            ("CHRONID_PRIVACY_URL", "https://acme.test/privacy".into()),
        ];
        settings.extend(extra);
        let serve = Serve::start_at(&env, "api,relay,projections,notifier", &settings, port).await;
        let browser = Browser::start(browser_args).await.unwrap();
        Site {
            env,
            peers,
            serve,
            account,
            browser,
            base,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs `journey`; on failure keeps the evidence, then fails the test with the error.
    async fn run<F>(self, name: &str, journey: F)
    where
        F: AsyncFnOnce(&Site) -> anyhow::Result<()>,
    {
        let outcome = journey(&self).await;
        if let Err(error) = outcome {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
            let kept = self.browser.keep_evidence(&dir, name).await;
            panic!("{error:#}\n(screenshot and page source: {kept:?})");
        }
        self.browser.close().await;
        let _ = self.serve.stop().await;
        self.env.cleanup().await.unwrap();
    }

    /// A user with `PASSWORD` made through the API.
    async fn user(&self, email: &str, extra: serde_json::Value) -> String {
        let mut body = json!({"email": email, "password": PASSWORD});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let (status, created) = call(
            &self.base,
            &self.account.key,
            reqwest::Method::POST,
            &format!("/v1/accounts/{}/users", self.account.id),
            Some(body),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        created["id"].as_str().unwrap().to_string()
    }

    /// Logs in on the login page by clicking.
    async fn log_in(&self, login: &str, password: &str) -> anyhow::Result<()> {
        let b = &self.browser;
        b.goto(&self.url("/login")).await?;
        b.fill("input[name=login]", login).await?;
        b.fill("input[name=password]", password).await?;
        b.click("form[action='/login'] button[type=submit]").await
    }

    async fn log_out(&self) -> anyhow::Result<()> {
        self.browser.click("form[action='/logout'] button").await?;
        self.browser.wait_for_path("/login").await
    }

    /// The `n`th mail to `to` (1-based), waited for.
    async fn mail(&self, to: &str, n: usize) -> anyhow::Result<String> {
        Ok(self.peers.nth_mail_to(to, n).await?.body)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_login_by_keyboard_language_csrf_and_reset_by_the_emailed_link() {
    Site::start()
        .await
        .run("password_login", async |site| {
            let b = &site.browser;
            let email = "ana@acme.test";
            let user = site.user(email, json!({"first_name": "Ana"})).await;
            // New devices are asked a code by email.
            let (status, body) = call(
                &site.base,
                &site.account.key,
                reqwest::Method::PUT,
                &format!("/v1/accounts/{}/security-policy", site.account.id),
                Some(json!({"max_inactivity_days": null, "max_login_attempts": 5,
                            "password_validity_days": null, "two_factor": "new_device"})),
            )
            .await;
            ensure!(status == 200, "{status} {body}");

            // The login page: labelled inputs named as password managers expect, a strict
            // policy, the forgot link, the terms and privacy links, and no violation.
            let page = reqwest::get(site.url("/login")).await?;
            let csp = page.headers()["content-security-policy"]
                .to_str()?
                .to_string();
            ensure!(
                csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
                "{csp}"
            );
            b.goto(&site.url("/login")).await?;
            let login = b
                .find("input#f-login[name=login][autocomplete=username]")
                .await?;
            ensure!(login.attr("required").await?.is_some());
            b.find("input#f-password[name=password][autocomplete=current-password]")
                .await?;
            b.find("label[for=f-login]").await?;
            b.find("a[href='/forgot-password']").await?;
            b.find("footer a[href='https://acme.test/terms']").await?;
            b.find("footer a[href='https://acme.test/privacy']").await?;
            ensure!(
                b.check_accessibility().await? > 10,
                "axe-core ran too few rules"
            );

            // A wrong password: the error beside the password field, nothing of the input lost.
            b.fill("input[name=login]", email).await?;
            b.fill("input[name=password]", "not the password").await?;
            b.click("form[action='/login'] button").await?;
            let error = b.text("#f-password-error").await?;
            ensure!(error.contains("not correct"), "{error}");
            let kept = b.find("input[name=login]").await?.prop("value").await?;
            ensure!(kept.as_deref() == Some(email), "{kept:?}");
            b.check_accessibility().await?;

            // The keyboard alone: the login field has the focus; Tab, type, Enter.
            b.goto(&site.url("/login")).await?;
            b.type_keys(&format!("{email}{TAB}{PASSWORD}{ENTER}"), true)
                .await?;
            // A new device: the emailed code, typed too (the code field has the focus).
            b.wait_for_path("/login/code").await?;
            let code = code_in(&site.mail(email, 1).await?, 6).context("a code in the mail")?;
            b.type_keys(&format!("{code}{ENTER}"), true).await?;
            b.wait_for_path("/account").await?;
            b.sees(email).await?;
            b.check_accessibility().await?;
            b.click("a[href='/account/security']").await?;
            b.find("#totp-heading").await?;
            b.check_accessibility().await?;
            site.log_out().await?;
            b.sees("logged out").await?;

            // The selector changes the visible text, and at login the language becomes the
            // user's.
            b.click("nav.languages a[hreflang=de]").await?;
            ensure!(
                b.text("h1").await? == "Bei Ihrem Konto anmelden"
                    || b.text("button[type=submit]").await?.contains("Anmelden"),
                "German login page: {}",
                b.text("main").await?
            );
            ensure!(b.find("html").await?.attr("lang").await?.as_deref() == Some("de"));
            site.log_in(email, PASSWORD).await?;
            b.wait_for_path("/account").await?;
            b.sees_in("nav.tabs", "Sicherheit").await?;
            let (_, view) = call(
                &site.base,
                &site.account.key,
                reqwest::Method::GET,
                &format!(
                    "/v1/accounts/{}/users/{user}?min_position=0",
                    site.account.id
                ),
                None,
            )
            .await;
            let language = wait_for_language(site, &user).await?;
            ensure!(
                language == "de",
                "the user's language is {language}; view {view}"
            );
            site.log_out().await?;
            b.click("nav.languages a[hreflang=en]").await?;

            // A page that does not exist says so, in a page.
            b.goto(&site.url("/no-such-page")).await?;
            b.sees_in("h1", "Page not found").await?;
            b.check_accessibility().await?;

            // A form posted without its token is refused, and nobody is logged in by it.
            b.goto(&site.url("/login")).await?;
            b.client
                .execute(
                    "document.querySelector('input[name=csrf]').remove()",
                    vec![],
                )
                .await?;
            b.fill("input[name=login]", email).await?;
            b.fill("input[name=password]", PASSWORD).await?;
            b.click("form[action='/login'] button").await?;
            b.sees("This form has expired").await?;
            b.check_accessibility().await?;
            ensure!(b.client.current_url().await?.path() == "/login");
            b.goto(&site.url("/account")).await?;
            b.wait_for_path("/login").await?;

            // Forgot password: the emailed link opens the reset page in the browser.
            b.click("a[href='/forgot-password']").await?;
            b.fill("input[name=login]", email).await?;
            b.click("form[action='/forgot-password'] button").await?;
            b.sees("a link is on its way").await?;
            b.check_accessibility().await?;
            // The user's language is German now: so is the email.
            let sent = site.peers.nth_mail_to(email, 2).await?;
            ensure!(sent.subject == "Passwort zurücksetzen", "{}", sent.subject);
            let mail = sent.body;
            let link = mail
                .split_whitespace()
                .find(|w| w.starts_with(&site.url("/reset-password?token=")))
                .with_context(|| format!("no reset link in {mail}"))?
                .to_string();
            b.goto(&link).await?;
            b.fill("input[name=new_password]", "a brand new password")
                .await?;
            b.fill("input[name=new_password_repeat]", "not the same one")
                .await?;
            b.click("form[action='/reset-password'] button").await?;
            b.sees_in("#f-new_password_repeat-error", "not the same")
                .await?;
            b.check_accessibility().await?;
            b.fill("input[name=new_password]", "a brand new password")
                .await?;
            b.fill("input[name=new_password_repeat]", "a brand new password")
                .await?;
            b.click("form[action='/reset-password'] button").await?;
            b.wait_for_path("/login").await?;
            b.sees("Your password is changed").await?;
            // The link works once.
            b.goto(&link).await?;
            b.fill("input[name=new_password]", "yet another password")
                .await?;
            b.fill("input[name=new_password_repeat]", "yet another password")
                .await?;
            b.click("form[action='/reset-password'] button").await?;
            b.sees("not valid any more").await?;
            // A new password ends the trust of the user's devices: a code again.
            site.log_in(email, "a brand new password").await?;
            b.wait_for_path("/login/code").await?;
            let code = code_in(&site.mail(email, 3).await?, 6).context("a code in the mail")?;
            b.fill("input[name=code]", &code).await?;
            b.click("form[action='/login/code'] button").await?;
            b.wait_for_path("/account").await?;

            // Forgetting this device on the Security tab: the next login asks a code again.
            b.goto(&site.url("/account/security")).await?;
            b.sees_in("#devices-heading + p + table", "This device")
                .await?;
            b.click("form[action^='/account/devices/'] button").await?;
            b.sees("No trusted devices").await?;
            site.log_out().await?;
            site.log_in(email, "a brand new password").await?;
            b.wait_for_path("/login/code").await?;
            Ok(())
        })
        .await;
}

/// The current 30-second TOTP step, waiting first for the next one when fewer than 12 seconds
/// of it are left (so a few steps of codes stay within the server's window of one step).
async fn fresh_step() -> i64 {
    let now = chrono::Utc::now().timestamp_millis();
    let into = now % 30_000;
    if into > 18_000 {
        tokio::time::sleep(Duration::from_millis((30_000 - into + 200) as u64)).await;
    }
    chrono::Utc::now().timestamp() / 30
}

/// Waits until the clock is in TOTP step `step` or later.
async fn wait_for_step(step: i64) {
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        if now / 30_000 >= step {
            return;
        }
        tokio::time::sleep(Duration::from_millis((step * 30_000 - now + 200) as u64)).await;
    }
}

/// The code of `key` at TOTP step `step`, by pyotp.
async fn totp_at(site: &Site, key: &str, step: i64) -> anyhow::Result<String> {
    site.peers.totp(key, Some(step * 30)).await
}

/// The user's language in the user view, once the view has it.
async fn wait_for_language(site: &Site, user: &str) -> anyhow::Result<String> {
    for _ in 0..100 {
        let (_, view) = call(
            &site.base,
            &site.account.key,
            reqwest::Method::GET,
            &format!("/v1/accounts/{}/users/{user}", site.account.id),
            None,
        )
        .await;
        if let Some(l) = view["language"].as_str() {
            if l != "en" {
                return Ok(l.to_string());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the user's language did not change")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_device_code_enrolment_choose_account_and_the_security_tab() {
    Site::start()
        .await
        .run("second_factor", async |site| {
            let b = &site.browser;
            let email = "bo@acme.test";
            let user = site.user(email, json!({})).await;
            // An administrator requires two-factor of this user.
            let (status, body) = call(
                &site.base,
                &site.account.key,
                reqwest::Method::PUT,
                &format!("/v1/accounts/{}/users/{user}/two-factor", site.account.id),
                Some(json!({"enabled": true})),
            )
            .await;
            ensure!(status == 200 || status == 204, "{status} {body}");

            // A new device: the emailed code, a wrong one first (a try used, said beside the
            // field), then the right one from the mailbox.
            site.log_in(email, PASSWORD).await?;
            b.wait_for_path("/login/code").await?;
            b.sees("email address").await?;
            b.sees_in("#f-code-hint", "5 tries left").await?;
            b.check_accessibility().await?;
            b.fill("input[name=code]", "000000").await?;
            b.click("form[action='/login/code'] button").await?;
            b.sees_in("#f-code-error", "not correct").await?;
            b.sees_in("#f-code-hint", "4 tries left").await?;
            site.mail(email, 1).await?;
            // A new code asked for: a fresh challenge with every try, the second mail's code.
            b.click("form[action='/login/code/resend'] button").await?;
            b.sees("A new code is on its way").await?;
            b.sees_in("#f-code-hint", "5 tries left").await?;
            let mail = site.mail(email, 2).await?;
            let code = code_in(&mail, 6).context("a code in the mail")?;
            b.fill("input[name=code]", &code).await?;
            b.click("form[action='/login/code'] button").await?;

            // Then the authenticator an administrator required: the key read from the page,
            // the code computed by pyotp. Codes are taken by 30-second step, each later than
            // the last one used, within a step of the server's clock (the real one): the first
            // is the previous step's.
            b.wait_for_path("/login/code").await?;
            b.sees_in("h1", "authenticator").await?;
            b.find("img.qr").await?;
            b.check_accessibility().await?;
            let key = b.text("#totp-key").await?;
            let t0 = fresh_step().await;
            let code = totp_at(site, &key, t0 - 1).await?;
            b.fill("input[name=code]", &code).await?;
            b.click("form[action='/login/code'] button").await?;
            b.wait_for_path("/account").await?;

            // The same code twice is refused (the Security tab's reset asks for a code).
            b.click("a[href='/account/security']").await?;
            b.sees_in("#devices-heading + p + table", "This device")
                .await?;
            b.sees("An authenticator app is set up").await?;
            b.fill("input[name=reset_code]", &code).await?;
            b.click("form[action='/account/totp/reset'] button").await?;
            b.sees_in("#f-reset_code-error", "used already").await?;

            // Reset: the next code gives a new key, confirmed with its own code.
            b.fill("input[name=reset_code]", &totp_at(site, &key, t0).await?)
                .await?;
            b.click("form[action='/account/totp/reset'] button").await?;
            let new_key = b.text("#totp-key").await?;
            ensure!(new_key != key, "a reset draws a new key");
            b.check_accessibility().await?;
            // A code of the old key is refused, then the new key's.
            b.fill("input[name=confirm_code]", &totp_at(site, &key, t0).await?)
                .await?;
            b.click("form[action='/account/totp/confirm'] button")
                .await?;
            b.sees_in("#f-confirm_code-error", "not correct").await?;
            b.fill(
                "input[name=confirm_code]",
                &totp_at(site, &new_key, t0 + 1).await?,
            )
            .await?;
            b.click("form[action='/account/totp/confirm'] button")
                .await?;
            b.wait_for_path("/account/security").await?;
            b.sees("Your authenticator app is set up").await?;

            // A reset ends the trust of the user's devices.
            b.sees("No trusted devices").await?;

            // While an administrator requires it, the user may not turn it off.
            b.fill(
                "input[name=disable_code]",
                &totp_at(site, &new_key, t0 + 1).await?,
            )
            .await?;
            b.click("form[action='/account/totp/disable'] button")
                .await?;
            b.sees("administrator requires").await?;

            // The administrator lifts the requirement, which turns the authenticator off; the
            // user sets one up again, then turns it off with the step after the confirmation's
            // (waited for).
            call(
                &site.base,
                &site.account.key,
                reqwest::Method::PUT,
                &format!("/v1/accounts/{}/users/{user}/two-factor", site.account.id),
                Some(json!({"enabled": false})),
            )
            .await;
            b.goto(&site.url("/account/security")).await?;
            b.sees("No authenticator app is set up").await?;
            b.click("form[action='/account/totp/enrol'] button").await?;
            let own_key = b.text("#totp-key").await?;
            b.fill(
                "input[name=confirm_code]",
                &totp_at(site, &own_key, t0 + 1).await?,
            )
            .await?;
            b.click("form[action='/account/totp/confirm'] button")
                .await?;
            b.sees("Your authenticator app is set up").await?;
            wait_for_step(t0 + 1).await;
            b.fill(
                "input[name=disable_code]",
                &totp_at(site, &own_key, t0 + 2).await?,
            )
            .await?;
            b.click("form[action='/account/totp/disable'] button")
                .await?;
            b.wait_for_path("/account/security").await?;
            b.sees("Your authenticator app is turned off").await?;
            b.sees("No authenticator app is set up").await?;
            site.log_out().await?;

            // The same email and password in a second account: choose the account.
            let second = run(
                &site.env,
                &[
                    "bootstrap",
                    "--account-name",
                    "Globex",
                    "--admin-email",
                    "admin@acme.test",
                ],
                &format!("{ADMIN_PASSWORD}\n"),
            )
            .await;
            assert_ok(&second);
            site.log_in("admin@acme.test", ADMIN_PASSWORD).await?;
            b.wait_for_path("/login/account").await?;
            b.sees("Globex").await?;
            b.sees("Acme").await?;
            b.check_accessibility().await?;
            b.click_only("label[for=account-1]").await?;
            let chosen = b.text("label[for=account-1]").await?;
            b.click("form[action='/login/account'] button").await?;
            b.wait_for_path("/account").await?;
            ensure!(
                b.text("main").await?.contains(&chosen),
                "signed in to {chosen}"
            );
            Ok(())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branded_host_name_shows_its_logo_and_theme_and_logs_in_to_its_account_only() {
    let rules = "--host-resolver-rules=MAP login.acme.test 127.0.0.1".to_string();
    Site::start_with(&[rules])
        .await
        .run("branded_host", async |site| {
            let b = &site.browser;
            site.user("dan@acme.test", json!({})).await;
            // Acme's logo, dark theme and host name, through the API.
            let logo = chronid_tests::png_image(100, 100, [220, 40, 40])?;
            let put = reqwest::Client::new()
                .put(site.url(&format!("/v1/accounts/{}/logo", site.account.id)))
                .bearer_auth(&site.account.key)
                .header("content-type", "image/png")
                .body(logo)
                .send()
                .await?;
            ensure!(put.status() == 200, "{}", put.text().await?);
            let (status, body) = call(&site.base, &site.account.key, reqwest::Method::PUT,
                &format!("/v1/accounts/{}/customization", site.account.id),
                Some(json!({"hostname": "login.acme.test", "color_scheme": "dark"}))).await;
            ensure!(status == 200 && body["dns_record"]["type"] == "CNAME", "{status} {body}");
            // Another account with a user of its own.
            let out = run(&site.env, &["bootstrap", "--account-name", "Globex", "--admin-email", "admin@globex.test"],
                &format!("{ADMIN_PASSWORD}\n")).await;
            assert_ok(&out);
            let globex: serde_json::Value = serde_json::from_slice(&out.stdout)?;
            let (status, body) = call(&site.base, globex["api_key"].as_str().unwrap_or(""), reqwest::Method::POST,
                &format!("/v1/accounts/{}/users", globex["account_id"].as_str().unwrap_or("")),
                Some(json!({"email": "carla@globex.test", "password": PASSWORD}))).await;
            ensure!(status == 201, "{status} {body}");

            let port = site.base.rsplit(':').next().unwrap_or("");
            let branded = format!("http://login.acme.test:{port}");
            b.goto(&format!("{branded}/login")).await?;
            ensure!(b.text("h1").await? == "Log in to Acme", "{}", b.text("h1").await?);
            let class = b.find("html").await?.attr("class").await?;
            ensure!(class.as_deref() == Some("theme-dark"), "{class:?}");
            let shown = b.client
                .execute("const i = document.querySelector('header img'); return i && i.complete ? i.naturalWidth : 0;", vec![])
                .await?;
            ensure!(shown == json!(100), "the logo is shown: {shown}");
            b.check_accessibility().await?;
            let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
            b.keep_evidence(&shot, "branded_login").await?;

            // A user of another account is refused here; the account's own user logs in.
            b.fill("input[name=login]", "carla@globex.test").await?;
            b.fill("input[name=password]", PASSWORD).await?;
            b.click("form[action='/login'] button").await?;
            b.sees_in("#f-password-error", "not correct").await?;
            b.fill("input[name=login]", "dan@acme.test").await?;
            b.fill("input[name=password]", PASSWORD).await?;
            b.click("form[action='/login'] button").await?;
            b.wait_for_path("/account").await?;
            b.sees("Acme").await?;
            Ok(())
        })
        .await;
}

/// SAML single sign-on in the browser against a real IdP (pysaml2 with xmlsec1): "Login with
/// SSO" asks the SP initiation URL for an email it does not know, the IdP's login form and its
/// POST binding back to the assertion consumer, the user created with their names, the group
/// sync's "I understand" page before the session, logout at the IdP; then, with the
/// configuration shared with a second account whose manager accepted it, a user of both
/// chooses the account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saml_single_sign_on_creates_the_user_confirms_teams_and_logs_out_at_the_idp() {
    Site::start()
        .await
        .run("saml_sso", async |site| {
            let b = &site.browser;
            let idp = chronid_tests::peers::SamlIdp::start(&[site.url("/saml/contoso/metadata")]).await?;
            let accounts = format!("/v1/accounts/{}", site.account.id);
            let (status, config) = call(&site.base, &site.account.key, reqwest::Method::POST,
                &format!("{accounts}/sso"),
                Some(json!({"idp_entity_id": idp.entity_id, "idp_certificates": [idp.certificate_pem],
                    "idp_sso_url": idp.sso_url, "logout_url": format!("{}/logout", idp.base),
                    "sp_slug": "contoso", "auto_create_users": true, "auto_create_groups": true,
                    "name_id_source": "email"}))).await;
            ensure!(status == 201, "{status} {config}");
            let options = json!({"password": true, "google": false, "github": false, "sso": true});
            let (status, body) = call(&site.base, &site.account.key, reqwest::Method::PUT,
                &format!("{accounts}/login-options"), Some(options.clone())).await;
            ensure!(status == 200, "{status} {body}");

            // "Login with SSO": an email not known yet asks for the SP initiation URL.
            b.goto(&site.url("/login")).await?;
            b.click("a[href='/login/sso']").await?;
            b.fill("input[name=email]", "dana@contoso.test").await?;
            b.click("form[action='/login/sso'] button").await?;
            b.find("input[name=sp_url]").await?;
            b.check_accessibility().await?;
            b.fill("input[name=sp_url]", &site.url("/login/saml/contoso/")).await?;
            b.click("form[action='/login/sso'] button").await?;
            // The IdP's own login form.
            b.find("input#given_name").await?;
            b.fill("input#email", "dana@contoso.test").await?;
            b.fill("input#given_name", "Dana").await?;
            b.fill("input#surname", "Scully").await?;
            b.fill("input#groups", "Ops, Finance").await?;
            b.click("form[action='/sso/login'] button").await?;
            // Its POST binding page submits itself to the assertion consumer; the browser that
            // asked comes back with its cookies, and sees its new teams before any session.
            b.wait_for_path("/login/saml/confirm").await?;
            b.sees_in(".teams-added", "Ops").await?;
            b.sees_in(".teams-added", "Finance").await?;
            b.check_accessibility().await?;
            b.click("form[action='/login/saml/confirm'] button").await?;
            b.wait_for_path("/account").await?;
            b.sees("Dana").await?;
            b.sees("dana@contoso.test").await?;
            // Logging out ends at the IdP.
            b.click("form[action='/logout'] button").await?;
            b.sees("You are logged out").await?;
            ensure!(b.url_text().await.starts_with(&idp.base), "{}", b.url_text().await);

            // Shared SSO: Globex's manager accepts the owner's offer; Erin is in both.
            let out = run(&site.env, &["bootstrap", "--account-name", "Globex", "--admin-email", "admin@globex.test"],
                &format!("{ADMIN_PASSWORD}\n")).await;
            assert_ok(&out);
            let globex: serde_json::Value = serde_json::from_slice(&out.stdout)?;
            let (globex_id, globex_key) = (globex["account_id"].as_str().unwrap_or(""), globex["api_key"].as_str().unwrap_or(""));
            for (key, account) in [(site.account.key.as_str(), site.account.id.as_str()), (globex_key, globex_id)] {
                let (status, body) = call(&site.base, key, reqwest::Method::POST,
                    &format!("/v1/accounts/{account}/users"), Some(json!({"email": "erin@contoso.test"}))).await;
                ensure!(status == 201, "{status} {body}");
                let (status, body) = call(&site.base, key, reqwest::Method::PUT,
                    &format!("/v1/accounts/{account}/sso/{}/accounts/{globex_id}", config["id"].as_str().unwrap_or("")),
                    None).await;
                ensure!(status == 200, "{status} {body}");
            }
            let (status, body) = call(&site.base, globex_key, reqwest::Method::PUT,
                &format!("/v1/accounts/{globex_id}/login-options"), Some(options)).await;
            ensure!(status == 200, "{status} {body}");
            b.goto(&site.url("/login/saml/contoso/")).await?;
            b.fill("input#email", "erin@contoso.test").await?;
            b.click("form[action='/sso/login'] button").await?;
            b.wait_for_path("/login/saml/account").await?;
            b.check_accessibility().await?;
            let globex_choice = format!("input[name=account][value='{globex_id}']");
            b.click_only(&globex_choice).await?;
            b.click("form[action='/login/saml/account'] button").await?;
            b.wait_for_path("/account").await?;
            b.sees("erin@contoso.test").await?;
            b.sees("Globex").await?;
            Ok(())
        })
        .await;
}

/// Google and GitHub login in the browser: the login page's buttons, the OpenID Connect
/// provider's own login and consent pages (oidc-provider), the GitHub stand-in's authorization
/// form, back to chronid with a session and the identity shown on the Security tab, unlinked
/// there; and the page that says why a login was refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_and_github_login_through_the_providers_pages() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let op = chronid_tests::peers::OidcProvider::start(&format!("{base}/auth/google/callback"))
        .await
        .unwrap();
    let gh = chronid_tests::peers::GithubStandIn::start(&format!("{base}/auth/github/callback"))
        .await
        .unwrap();
    let settings = vec![
        ("CHRONID_GOOGLE_CLIENT_ID", op.client_id.clone()),
        ("CHRONID_GOOGLE_CLIENT_SECRET", op.client_secret.clone()),
        ("CHRONID_GOOGLE_ISSUER", op.issuer.clone()),
        ("CHRONID_GITHUB_CLIENT_ID", gh.client_id.clone()),
        ("CHRONID_GITHUB_CLIENT_SECRET", gh.client_secret.clone()),
        ("CHRONID_GITHUB_URL", gh.base.clone()),
        ("CHRONID_GITHUB_API_URL", gh.base.clone()),
    ];
    Site::start_configured(&[], port, settings)
        .await
        .run("google_github", async |site| {
            let b = &site.browser;
            site.user("gina@acme.test", json!({"first_name": "Gina"}))
                .await;
            let options = json!({"password": true, "google": true, "github": true, "sso": false});
            let (status, body) = call(
                &site.base,
                &site.account.key,
                reqwest::Method::PUT,
                &format!("/v1/accounts/{}/login-options", site.account.id),
                Some(options),
            )
            .await;
            ensure!(status == 200, "{status} {body}");

            // Google: the provider's login and consent pages, then the account.
            b.goto(&site.url("/login")).await?;
            b.check_accessibility().await?;
            b.click("a[href$='/auth/google/start']").await?;
            b.fill("input[name=login]", "gina@acme.test").await?;
            b.fill("input[name=password]", "anything").await?;
            b.click("button[type=submit]").await?;
            b.find("input[name=prompt][value=consent]").await?;
            b.click("button[type=submit]").await?;
            // Found by her email and not linked yet: chronid's own code before the link.
            b.wait_for_path("/login/code").await?;
            let code = code_in(&site.mail("gina@acme.test", 1).await?, 6).context("no code")?;
            b.fill("input[name=code]", &code).await?;
            b.click("form[action='/login/code'] button").await?;
            b.wait_for_path("/account").await?;
            b.sees("gina@acme.test").await?;
            b.goto(&site.url("/account/security")).await?;
            b.sees_in("#identities-heading", "Linked identities")
                .await?;
            b.sees("Google").await?;
            b.check_accessibility().await?;
            site.log_out().await?;

            // GitHub: the stand-in's authorization form says who signs in.
            b.click("a[href$='/auth/github/start']").await?;
            b.fill("input#login", "gina-gh").await?;
            b.fill("input#user_id", "4242").await?;
            b.fill("input#email", "gina@acme.test").await?;
            b.click("button[type=submit]").await?;
            b.wait_for_path("/login/code").await?;
            let code = code_in(&site.mail("gina@acme.test", 2).await?, 6).context("no code")?;
            b.fill("input[name=code]", &code).await?;
            b.click("form[action='/login/code'] button").await?;
            b.wait_for_path("/account").await?;
            b.goto(&site.url("/account/security")).await?;
            b.sees("GitHub").await?;
            b.sees("4242").await?;
            // Unlinked there.
            b.click("form[action='/account/identities/unlink'] input[value='4242'] ~ button")
                .await?;
            b.sees("The identity was unlinked.").await?;
            site.log_out().await?;

            // Nobody holds this email: refused, saying why and with the reason's name.
            b.click("a[href$='/auth/github/start']").await?;
            b.fill("input#login", "stranger").await?;
            b.fill("input#user_id", "999").await?;
            b.fill("input#email", "stranger@elsewhere.test").await?;
            b.click("button[type=submit]").await?;
            b.sees("There is no user with your GitHub email").await?;
            b.sees("Reference: no_account").await?;
            b.check_accessibility().await?;
            Ok(())
        })
        .await;
}

/// The console's audit log in the browser: an AccountManager filters it and sees the chart; an
/// AccountAdmin sees the console without it and is refused the page; axe-core on each page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_audit_log_for_managers_only() {
    Site::start()
        .await
        .run("console_audit", async |site| {
            let b = &site.browser;
            site.user(
                "ada@acme.test",
                json!({"roles": ["AccountAdmin"], "first_name": "Ada"}),
            )
            .await;
            // A wrong password, then the manager logs in.
            site.log_in("ada@acme.test", "not her password").await?;
            b.sees("not correct").await?;
            site.log_in("admin@acme.test", ADMIN_PASSWORD).await?;
            b.wait_for_path("/account").await?;
            b.click("a[href='/console/']").await?;
            b.wait_for_path("/console/").await?;
            b.check_accessibility().await?;
            b.click("main a[href='/console/audit']").await?;
            b.wait_for_path("/console/audit").await?;
            b.find("figure.chart svg").await?;
            b.check_accessibility().await?;
            // The projection may lag the login by a moment: filter until the entry shows.
            let mut seen = false;
            for _ in 0..50 {
                b.fill("input[name=q]", "failed").await?;
                b.click("form.filters button[type=submit]").await?;
                if b.has("table.audit tr.failed").await {
                    seen = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            ensure!(seen, "the failed login never showed in the filtered table");
            b.sees_in("table.audit", "User login failed").await?;
            ensure!(
                !b.has("table.audit tr.ok").await,
                "the filter let a successful entry through"
            );
            b.check_accessibility().await?;
            // The page's CSV link, fetched with this browser's cookies, downloads the rows the
            // API's export of the same filter gives.
            let href = b
                .find("a[href^='/console/audit/export?'][href*='format=csv']")
                .await?
                .attr("href")
                .await?
                .unwrap_or_default();
            ensure!(href.contains("q=failed"), "{href}");
            let cookies: Vec<String> = b
                .client
                .get_all_cookies()
                .await?
                .iter()
                .map(|c| format!("{}={}", c.name(), c.value()))
                .collect();
            let http = reqwest::Client::new();
            let downloaded = http
                .get(site.url(&href))
                .header("cookie", cookies.join("; "))
                .send()
                .await?;
            ensure!(downloaded.status() == 200, "{}", downloaded.status());
            let downloaded = downloaded.text().await?;
            let api = http
                .get(site.url(&format!(
                    "/v1/accounts/{}/audit/export?format=csv&q=failed",
                    site.account.id
                )))
                .bearer_auth(&site.account.key)
                .send()
                .await?
                .text()
                .await?;
            ensure!(
                downloaded == api,
                "the page's CSV:\n{downloaded}\nthe API's:\n{api}"
            );
            ensure!(downloaded.lines().count() >= 2, "{downloaded}");
            // A click on the user opens their history: timeline and "as of".
            b.click("table.audit a[href$='/history']").await?;
            b.find("figure.timeline svg").await?;
            b.sees("LoginFailed").await?;
            b.check_accessibility().await?;
            // The security settings: two-factor at every login, saved and shown.
            b.click("nav.tabs a[href='/console/security']").await?;
            b.wait_for_path("/console/security").await?;
            b.check_accessibility().await?;
            b.click_only("#f-two_factor-every_login").await?;
            b.click("form[action='/console/security/policy'] button")
                .await?;
            b.sees("Saved.").await?;
            ensure!(
                b.has("#f-two_factor-every_login:checked").await,
                "the two-factor mode was not kept"
            );
            // And off again (else Ada's login below would owe a code).
            b.click_only("#f-two_factor-off").await?;
            b.click("form[action='/console/security/policy'] button")
                .await?;
            b.sees("Saved.").await?;
            // An API key, shown once.
            b.click("nav.tabs a[href='/console/api-keys']").await?;
            b.wait_for_path("/console/api-keys").await?;
            b.check_accessibility().await?;
            b.fill("form.create input[name=name]", "deploy bot").await?;
            b.click("form.create button").await?;
            b.sees("shown this once").await?;
            b.find("code.key").await?;
            b.check_accessibility().await?;
            site.log_out().await?;

            // The AccountAdmin: the console, not the audit log.
            site.log_in("ada@acme.test", PASSWORD).await?;
            b.wait_for_path("/account").await?;
            b.goto(&site.url("/console/")).await?;
            ensure!(
                !b.has("a[href='/console/audit']").await,
                "an AccountAdmin was offered the audit log"
            );
            b.goto(&site.url("/console/audit")).await?;
            b.sees("for the account's administrators").await?;
            b.check_accessibility().await?;
            b.goto(&site.url("/console/security")).await?;
            b.sees("for the account's administrators").await?;
            Ok(())
        })
        .await;
}

/// The console's users: an AccountManager creates a user, sends them a password reset link,
/// and the user completes the reset from the mailbox and logs in; the manager disables them
/// and sees it at once; axe-core on the list and the user's page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_creates_a_user_who_sets_a_password_from_the_reset_link() {
    Site::start()
        .await
        .run("console_users", async |site| {
            let b = &site.browser;
            site.log_in("admin@acme.test", ADMIN_PASSWORD).await?;
            b.wait_for_path("/account").await?;
            b.goto(&site.url("/console/users")).await?;
            b.check_accessibility().await?;
            // A wrong email is said beside its field.
            b.fill("form.create input[name=email]", "not-an-email")
                .await?;
            b.click("form.create button").await?;
            b.find("#f-email-error").await?;
            b.check_accessibility().await?;
            b.fill("form.create input[name=email]", "nina@acme.test")
                .await?;
            b.fill("form.create input[name=first_name]", "Nina").await?;
            b.click("form.create button").await?;
            b.sees("The user was created.").await?;
            b.sees_in("dd.status", "Invited").await?;
            b.check_accessibility().await?;
            b.click("form[action$='/password-reset'] button").await?;
            b.sees("The password reset link was sent.").await?;
            let mail = site.mail("nina@acme.test", 1).await?;
            let link = mail
                .split_whitespace()
                .find(|w| w.starts_with(&site.url("/reset-password?token=")))
                .with_context(|| format!("no reset link in {mail}"))?
                .to_string();
            site.log_out().await?;
            b.goto(&link).await?;
            b.fill("input[name=new_password]", "nina's own new password")
                .await?;
            b.fill("input[name=new_password_repeat]", "nina's own new password")
                .await?;
            b.click("form[action='/reset-password'] button").await?;
            b.wait_for_path("/login").await?;
            site.log_in("nina@acme.test", "nina's own new password")
                .await?;
            b.wait_for_path("/account").await?;
            b.sees("nina@acme.test").await?;
            site.log_out().await?;

            // The manager disables her: the page says so after the redirect.
            site.log_in("admin@acme.test", ADMIN_PASSWORD).await?;
            b.wait_for_path("/account").await?;
            b.goto(&site.url("/console/users?q=nina")).await?;
            b.click("table.users a").await?;
            b.click("form[action$='/disable'] button").await?;
            b.sees_in("dd.status", "Disabled").await?;
            // A team with Nina in it.
            b.click("nav.tabs a[href='/console/teams']").await?;
            b.wait_for_path("/console/teams").await?;
            b.check_accessibility().await?;
            b.fill("form.create input[name=name]", "Support").await?;
            b.click("form.create button").await?;
            b.sees_in("h1", "Support").await?;
            b.fill("input[name=email]", "nina@acme.test").await?;
            b.click("form.add button").await?;
            b.sees_in("table.members", "nina@acme.test").await?;
            b.check_accessibility().await?;
            Ok(())
        })
        .await;
}

/// A file for an upload, under the target directory.
fn upload_file(name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("uploads");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{}-{name}", chronid_tests::unique_id()));
    std::fs::write(&path, bytes)?;
    Ok(path)
}

/// Customization in the console: a 151 x 151 logo is refused beside the file field, a 150 x 150
/// one is kept and previewed; the host name shows the DNS record to create; the branded login
/// page at that name shows the logo and the theme.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_customizes_the_login_page_with_a_logo_of_150_px_at_most() {
    let rules = "--host-resolver-rules=MAP login.acme.test 127.0.0.1".to_string();
    Site::start_with(&[rules])
        .await
        .run("console_customization", async |site| {
            let b = &site.browser;
            site.log_in("admin@acme.test", ADMIN_PASSWORD).await?;
            b.wait_for_path("/account").await?;
            b.goto(&site.url("/console/")).await?;
            b.click("main a[href='/console/customization']").await?;
            b.wait_for_path("/console/customization").await?;
            b.check_accessibility().await?;

            let large = upload_file("large.png", &chronid_tests::png_image(151, 151, [200, 30, 30])?)?;
            b.upload("input#f-logo", &large).await?;
            b.click("form[action='/console/customization/logo'] button").await?;
            b.sees_in("#f-logo-error", "larger than 150 x 150 pixels").await?;
            ensure!(!b.has("img.logo-preview").await, "a refused logo is previewed");
            b.check_accessibility().await?;

            let fits = upload_file("fits.png", &chronid_tests::png_image(150, 150, [30, 30, 200])?)?;
            b.upload("input#f-logo", &fits).await?;
            b.click("form[action='/console/customization/logo'] button").await?;
            b.wait_for_path("/console/customization").await?;
            let shown = b.client
                .execute("const i = document.querySelector('img.logo-preview'); return i && i.complete ? i.naturalWidth : 0;", vec![])
                .await?;
            ensure!(shown == json!(150), "the preview shows the logo: {shown}");

            b.fill("input#f-hostname", "login.acme.test").await?;
            b.click_only("input#f-color_scheme-dark").await?;
            b.click("form[action='/console/customization'] button[type=submit]").await?;
            b.wait_for_path("/console/customization").await?;
            b.sees_in("table.dns-record", "CNAME").await?;
            b.sees_in("table.dns-record", "login.acme.test").await?;
            b.check_accessibility().await?;

            let port = site.base.rsplit(':').next().unwrap_or("");
            b.goto(&format!("http://login.acme.test:{port}/login")).await?;
            let class = b.find("html").await?.attr("class").await?;
            ensure!(class.as_deref() == Some("theme-dark"), "{class:?}");
            let shown = b.client
                .execute("const i = document.querySelector('header img'); return i && i.complete ? i.naturalWidth : 0;", vec![])
                .await?;
            ensure!(shown == json!(150), "the login page shows the logo: {shown}");
            Ok(())
        })
        .await;
}

/// The console's SSO form in the browser: the manager types the IdP's fields and uploads its
/// certificate file, saves, and gets the SP Entity ID to share; the IdP (pysaml2) reads the
/// SP metadata the configuration serves and sends a user through it, who logs in created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_sso_form_configures_an_idp_that_takes_its_metadata() {
    Site::start()
        .await
        .run("console_sso", async |site| {
            let b = &site.browser;
            let idp =
                chronid_tests::peers::SamlIdp::start(&[site.url("/saml/acme/metadata")]).await?;
            let accounts = format!("/v1/accounts/{}", site.account.id);
            let (status, body) = call(
                &site.base,
                &site.account.key,
                reqwest::Method::PUT,
                &format!("{accounts}/login-options"),
                Some(json!({"password": true, "google": false, "github": false, "sso": true})),
            )
            .await;
            ensure!(status == 200, "{status} {body}");

            site.log_in("admin@acme.test", ADMIN_PASSWORD).await?;
            b.wait_for_path("/account").await?;
            b.goto(&site.url("/console/sso")).await?;
            b.check_accessibility().await?;
            b.click("a[href='/console/sso/new']").await?;
            b.wait_for_path("/console/sso/new").await?;
            b.check_accessibility().await?;
            b.fill("input#f-idp_entity_id", &idp.entity_id).await?;
            let certificate = upload_file("idp.pem", idp.certificate_pem.as_bytes())?;
            b.upload("input#f-idp_certificate_file", &certificate)
                .await?;
            b.fill("input#f-idp_sso_url", &idp.sso_url).await?;
            b.fill("input#f-logout_url", &format!("{}/logout", idp.base))
                .await?;
            // A slug that is not one first: said beside the SP Entity ID.
            b.fill("input#f-sp_slug", "-acme").await?;
            b.click_only("input#f-auto_create_users").await?;
            b.click("form.settings button[type=submit]").await?;
            b.find("#f-sp_slug-error").await?;
            b.check_accessibility().await?;
            // The uploaded certificate is kept in the field, so it need not be chosen again.
            let kept = b
                .find("textarea#f-idp_certificates")
                .await?
                .prop("value")
                .await?
                .unwrap_or_default();
            ensure!(kept.starts_with("-----BEGIN CERTIFICATE-----"), "{kept}");
            b.fill("input#f-sp_slug", "acme").await?;
            b.click("form.settings button[type=submit]").await?;
            b.sees("expires on").await?;
            b.check_accessibility().await?;
            let entity = b
                .find("input[id^='sp-entity-']")
                .await?
                .prop("value")
                .await?
                .unwrap_or_default();
            ensure!(entity == site.url("/login/saml/acme/"), "{entity}");
            let metadata = b
                .find("a.metadata")
                .await?
                .attr("href")
                .await?
                .unwrap_or_default();
            ensure!(metadata == site.url("/saml/acme/metadata"), "{metadata}");

            // A user of the IdP logs in through the SP Entity ID and is created.
            site.log_out().await?;
            b.goto(&entity).await?;
            b.find("input#given_name").await?;
            b.fill("input#email", "zoe@contoso.test").await?;
            b.fill("input#given_name", "Zoe").await?;
            b.click("form[action='/sso/login'] button").await?;
            b.wait_for_path("/account").await?;
            b.sees("zoe@contoso.test").await?;
            Ok(())
        })
        .await;
}
