//! The pages and the customization behind them, over HTTP without a browser (the browser tests
//! are in `bin/tests/browser.rs`): cookies and their attributes, CSRF tokens bound to their
//! browser, the pending login bound to its browser, escaping, rate limits said in the page's
//! language, logo uploads and host names.

use chronid_http::edge::{Edge, RateLimits, TrustedProxies};
use chronid_tests::server::spawn_app_with_edge;
use chronid_tests::{png_image, TestEnv};
use reqwest::header::SET_COOKIE;
use reqwest::Method;
use serde_json::json;

use crate::support::*;

const PASSWORD: &str = "a long enough password";

async fn user_with_password(app: &TestApp, email: &str) {
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_sets_http_only_lax_cookies_and_renews_the_browser_id() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    user_with_password(&app, "ana@acme.test").await;
    let mut agent = Agent::new(&app);
    let page = agent.get("/login").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "{csp}");
    let set: Vec<&str> = page
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let browser_cookie = set
        .iter()
        .find(|c| c.starts_with("chronid_browser="))
        .unwrap();
    assert!(
        browser_cookie.contains("HttpOnly") && browser_cookie.contains("SameSite=Lax"),
        "{browser_cookie}"
    );
    // The public URL of the test server is plain http: no Secure (the browser would drop it).
    assert!(!browser_cookie.contains("Secure"), "{browser_cookie}");
    let before = agent.cookie("chronid_browser").unwrap().to_string();

    let token = token_in(&page.body);
    let done = agent
        .post(
            "/login",
            &[
                ("csrf", &token),
                ("login", "ana@acme.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        (done.status, location(&done)),
        (303, "/account"),
        "{}",
        done.body
    );
    let set: Vec<&str> = done
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = set
        .iter()
        .find(|c| c.starts_with("chronid_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/"),
        "{session}"
    );
    assert!(session.contains("chronid_session=chs_"), "{session}");
    assert_ne!(
        agent.cookie("chronid_browser").unwrap(),
        before,
        "a new browser id at login"
    );
    // The old token is no longer good: logging out with it is refused.
    let refused = agent.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(refused.status, 403);
    let account = agent.get("/account").await;
    assert_eq!(account.status, 200, "still signed in");
    assert!(account.body.contains("ana@acme.test"));
    let token = token_in(&account.body);
    let out = agent.post("/logout", &[("csrf", &token)]).await;
    assert_eq!((out.status, location(&out)), (303, "/login?m=logged-out"));
    assert!(
        agent.cookie("chronid_session").is_none(),
        "the session cookie is cleared"
    );
    let after = agent.get("/account").await;
    assert_eq!(
        (after.status, location(&after)),
        (303, "/login?m=session-ended")
    );
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_or_a_pending_login_of_another_browser_is_refused() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    user_with_password(&app, "bo@acme.test").await;
    app.set_security_policy(json!({"two_factor": "every_login"}))
        .await;
    let events_before = event_count(&env).await;

    // The attacker's page posts with its own token to the victim's browser: refused.
    let mut attacker = Agent::new(&app);
    let attackers_token = attacker.token("/login").await;
    let mut victim = Agent::new(&app);
    victim.get("/login").await;
    let forged = victim
        .post(
            "/login",
            &[
                ("csrf", &attackers_token),
                ("login", "bo@acme.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(
        forged.body.contains("This form has expired"),
        "{}",
        forged.body
    );
    assert!(!forged.body.starts_with('{'), "a page, not JSON");
    let missing = victim
        .post(
            "/login",
            &[("login", "bo@acme.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(missing.status, 403);
    assert_eq!(
        event_count(&env).await,
        events_before,
        "nothing written by a forged form"
    );

    // A login waiting for its code: its cookie taken to another browser opens nothing.
    let step = victim.log_in("bo@acme.test", PASSWORD).await;
    assert_eq!(location(&step), "/login/code");
    let pending = victim.cookie("chronid_login").unwrap().to_string();
    assert!(!pending.contains("bo@acme.test"), "sealed");
    attacker.cookies.push(("chronid_login".into(), pending));
    let stolen = attacker.get("/login/code").await;
    assert_eq!(
        (stolen.status, location(&stolen)),
        (303, "/login?m=login-expired")
    );
    let own = victim.get("/login/code").await;
    assert_eq!(own.status, 200);
    assert!(own.body.contains("5 tries left"), "{}", own.body);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_echoes_input_unescaped() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let mut agent = Agent::new(&app);
    let token = agent.token("/login").await;
    let evil = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";
    let page = agent
        .post(
            "/login",
            &[("csrf", &token), ("login", evil), ("password", "x")],
        )
        .await;
    assert_eq!(page.status, 401, "{}", page.body);
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;"), "{}", page.body);
    // A notice id outside the list, and a language that is not one, change nothing.
    let page = agent.get("/login?m=%3Cb%3Ehi%3C/b%3E&lang=%3Cx%3E").await;
    assert!(!page.body.contains("<b>hi"), "{}", page.body);
    assert!(page.body.contains("<html lang=\"en\""), "{}", page.body);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_over_the_rate_says_so_in_its_language_and_runs_nothing() {
    let env = TestEnv::new().await.unwrap();
    let limits = RateLimits {
        login_per_minute: 1,
        ..RateLimits::unlimited()
    };
    let app = spawn_app_with_edge(&env, Edge::new(TrustedProxies::default(), limits))
        .await
        .unwrap();
    let mut agent = Agent::new(&app);
    agent.language = Some("de-DE,de;q=0.9");
    let token = agent.token("/login").await;
    let form = [
        ("csrf", token.as_str()),
        ("login", "x@acme.test"),
        ("password", "wrong"),
    ];
    assert_eq!(agent.post("/login", &form).await.status, 401);
    let events = event_count(&env).await;
    let page = agent.post("/login", &form).await;
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(page.headers.get("retry-after").is_some());
    assert!(page.body.contains("<html lang=\"de\""), "{}", page.body);
    assert!(page.body.contains("Zu viele"), "{}", page.body);
    assert_eq!(event_count(&env).await, events);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logo_is_checked_re_encoded_served_and_removed() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) =
        chronid_tests::server::spawn_full(&env, chronid_tests::server::test_services())
            .await
            .unwrap();
    let put = |bytes: Vec<u8>, content_type: &'static str| {
        let req = app
            .http
            .put(app.url("/logo"))
            .bearer_auth(&app.api_key)
            .header("content-type", content_type)
            .body(bytes);
        async move { reply(req.send().await.unwrap()).await }
    };
    put(png_image(151, 20, [1, 2, 3]).unwrap(), "image/png")
        .await
        .assert_problem(400, "ACC-LOGO-TOO-LARGE");
    let r = put(png_image(20, 151, [1, 2, 3]).unwrap(), "image/png").await;
    r.assert_problem(400, "ACC-LOGO-TOO-LARGE");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("cannot be uploaded"),
        "{r:?}"
    );
    put(b"GIF89a not taken".to_vec(), "image/gif")
        .await
        .assert_problem(400, "ACC-LOGO-INVALID");
    put(vec![0x89; chronid_app::MAX_LOGO_BYTES + 1], "image/png")
        .await
        .assert_problem(413, "REQ-BODY-TOO-LARGE");
    let ok = put(png_image(120, 60, [200, 30, 30]).unwrap(), "image/png").await;
    assert_eq!(ok.status, 200, "{ok:?}");
    let position = ok.body["position"].as_i64().unwrap();
    // Audited, in the product's words, with its size.
    let audit = app
        .call(
            Method::GET,
            &format!("/audit?min_position={position}&q=Logo"),
            None,
        )
        .await;
    assert_eq!(audit.status, 200, "{audit:?}");
    let descriptions: Vec<&str> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert!(
        descriptions.contains(&"Logo updated. Details: image/png, 120x60 px."),
        "{descriptions:?}"
    );

    let served = app
        .http
        .get(format!("{}/assets/logo/{}", app.base, app.account_id))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    let bytes = served.bytes().await.unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
    let info = decoder.read_info().unwrap().info().clone();
    assert_eq!((info.width, info.height), (120, 60));

    let gone = app.call(Method::DELETE, "/logo", None).await;
    assert_eq!(gone.status, 200, "{gone:?}");
    let served = app
        .http
        .get(format!("{}/assets/logo/{}", app.base, app.account_id))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 404);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_name_belongs_to_one_account_and_answers_its_dns_record() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let r = app
        .call(
            Method::PUT,
            "/customization",
            Some(json!({"hostname": "login.acme.test", "color_scheme": "dark"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["dns_record"],
        json!({"type": "CNAME", "name": "login.acme.test", "value": "127.0.0.1"})
    );

    let other = app
        .app
        .bootstrap(
            chronid_domain::values::Name::parse("name", "Globex").unwrap(),
            chronid_domain::values::Email::parse("admin@globex.test").unwrap(),
            None,
            chronid_domain::values::Password::parse("a-long-admin-password").unwrap(),
        )
        .await
        .unwrap();
    let other_key = secrecy::ExposeSecret::expose_secret(&other.api_key).to_string();
    let path = format!("/v1/accounts/{}/customization", other.account_id);
    let taken = |host: &'static str| {
        let req = app
            .http
            .put(format!("{}{path}", app.base))
            .bearer_auth(&other_key)
            .json(&json!({"hostname": host}));
        async move { reply(req.send().await.unwrap()).await }
    };
    taken("LOGIN.acme.test.")
        .await
        .assert_problem(409, "ACC-HOSTNAME-TAKEN");
    // An address is not a host name, nor is a single label.
    for bad in ["10.0.0.5", "localhost"] {
        let r = taken(bad).await;
        r.assert_problem(400, "VALIDATION");
        assert_eq!(r.body["field"], "hostname", "{r:?}");
    }

    // The branded page is Acme's; once Acme moves to another name, Globex may have this one.
    let mut agent = Agent::new(&app);
    let page = agent
        .http
        .get(format!("{}/login", app.base))
        .header("host", "login.acme.test")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Log in to Acme") && page.contains("theme-dark"),
        "{page}"
    );
    agent.cookies.clear();
    let r = app
        .call(
            Method::PUT,
            "/customization",
            Some(json!({"hostname": "id.acme.test"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = taken("login.acme.test").await;
    assert_eq!(r.status, 200, "{r:?}");
    env.cleanup().await.unwrap();
}

/// A server on a clock the test moves, whose user `email` has a password two days past its
/// one-day validity.
async fn expired_password_of(email: &str) -> (TestEnv, TestApp) {
    use chronid_tests::server::{spawn_app_with, test_services, ManualClock};
    let env = TestEnv::new().await.unwrap();
    let clock = ManualClock::starting_now();
    let mut services = test_services();
    services.clock = clock.clone();
    let app = spawn_app_with(&env, env.pool.clone(), services)
        .await
        .unwrap();
    app.set_security_policy(json!({"password_validity_days": 1}))
        .await;
    user_with_password(&app, email).await;
    clock.advance(chrono::Duration::days(2));
    (env, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_password_is_changed_on_its_page_then_used() {
    let (env, app) = expired_password_of("eve@acme.test").await;

    let mut agent = Agent::new(&app);
    let step = agent.log_in("eve@acme.test", PASSWORD).await;
    assert_eq!(
        (step.status, location(&step)),
        (303, "/login/password"),
        "{}",
        step.body
    );
    assert!(
        agent.cookie("chronid_session").is_none(),
        "no session before the new password"
    );
    let page = agent.get("/login/password").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Your password has expired"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("autocomplete=\"new-password\""),
        "{}",
        page.body
    );
    let token = token_in(&page.body);

    // Each field's mistake beside it.
    let page = agent
        .post(
            "/login/password",
            &[
                ("csrf", &token),
                ("new_password", "a fresh password"),
                ("new_password_repeat", "another one"),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("id=\"f-new_password_repeat-error\""),
        "{}",
        page.body
    );
    let page = agent
        .post(
            "/login/password",
            &[
                ("csrf", &token),
                ("new_password", "short"),
                ("new_password_repeat", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("id=\"f-new_password-error\"") && page.body.contains("at least 10"),
        "{}",
        page.body
    );
    let page = agent
        .post(
            "/login/password",
            &[
                ("csrf", &token),
                ("new_password", PASSWORD),
                ("new_password_repeat", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 400, "the same password again is refused");
    assert!(page.body.contains("not used before"), "{}", page.body);

    let done = agent
        .post(
            "/login/password",
            &[
                ("csrf", &token),
                ("new_password", "a fresh password"),
                ("new_password_repeat", "a fresh password"),
            ],
        )
        .await;
    assert_eq!(
        (done.status, location(&done)),
        (303, "/login?m=password-changed"),
        "{}",
        done.body
    );
    assert!(
        agent.cookie("chronid_login").is_none(),
        "the pending login is cleared"
    );
    // The change token works once: the page is gone.
    let again = agent.get("/login/password").await;
    assert_eq!(location(&again), "/login?m=login-expired");
    let ok = agent.log_in("eve@acme.test", "a fresh password").await;
    assert_eq!((ok.status, location(&ok)), (303, "/account"), "{}", ok.body);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_no_route_takes_is_a_page_outside_the_api_and_a_problem_inside() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let mut agent = Agent::new(&app);
    agent.language = Some("es");
    for path in ["/no-such-page", "/logout"] {
        let page = agent.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(
            page.headers["content-type"], "text/html; charset=utf-8",
            "{path}"
        );
        assert!(page.body.contains("<html lang=\"es\""), "{}", page.body);
        assert!(page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'"));
    }
    for path in ["/v1/no-such-route", "/v1"] {
        let r = reply(
            app.http
                .get(format!("{}{path}", app.base))
                .send()
                .await
                .unwrap(),
        )
        .await;
        r.assert_problem(404, "REQ-NOT-FOUND");
    }
    let r = reply(
        app.http
            .delete(format!("{}/v1/login", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_problem(405, "REQ-METHOD-NOT-ALLOWED");
    env.cleanup().await.unwrap();
}

/// The one page the browser tests of the real binary cannot reach (a password expires after a
/// day at the least): the new password an expired one asks for, in a real browser against the
/// in-process server on a clock the test moves, with axe-core.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expired_password_page_works_in_a_browser_and_passes_axe() {
    use chronid_tests::browser::Browser;
    let (env, app) = expired_password_of("fay@acme.test").await;

    let b = Browser::start(&[]).await.unwrap();
    let journey = async {
        b.goto(&format!("{}/login?lang=hr", app.base)).await?;
        b.fill("input[name=login]", "fay@acme.test").await?;
        b.fill("input[name=password]", PASSWORD).await?;
        b.click("form[action='/login'] button").await?;
        b.wait_for_path("/login/password").await?;
        anyhow::ensure!(b.find("html").await?.attr("lang").await?.as_deref() == Some("hr"));
        b.check_accessibility().await?;
        b.fill("input[name=new_password]", "short").await?;
        b.fill("input[name=new_password_repeat]", "short").await?;
        b.click("form[action='/login/password'] button").await?;
        b.find("#f-new_password-error").await?;
        b.check_accessibility().await?;
        b.fill("input[name=new_password]", "a fresh password")
            .await?;
        b.fill("input[name=new_password_repeat]", "a fresh password")
            .await?;
        b.click("form[action='/login/password'] button").await?;
        b.wait_for_path("/login").await?;
        b.fill("input[name=login]", "fay@acme.test").await?;
        b.fill("input[name=password]", "a fresh password").await?;
        b.click("form[action='/login'] button").await?;
        b.wait_for_path("/account").await
    };
    if let Err(error) = journey.await {
        let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
        let kept = b.keep_evidence(&dir, "expired_password").await;
        panic!("{error:#}\n(screenshot and page source: {kept:?})");
    }
    b.close().await;
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_tab_changes_the_channel_and_the_password_and_ends_another_session() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    user_with_password(&app, "gus@acme.test").await;
    app.set_security_policy(json!({"two_factor": "off"})).await;
    let mut agent = Agent::new(&app);
    let done = agent.log_in("gus@acme.test", PASSWORD).await;
    assert_eq!(location(&done), "/account");
    // A second session, elsewhere (the JSON API).
    let other = app
        .http
        .post(format!("{}/v1/login", app.base))
        .json(&json!({"login": "gus@acme.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let other_token = other["session"]["token"].as_str().unwrap().to_string();
    let me = |token: String| {
        let req = app
            .http
            .get(format!("{}/v1/me/sessions", app.base))
            .bearer_auth(token);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(me(other_token.clone()).await, 200);

    let page = agent.get("/account/security").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("This session"), "{}", page.body);
    let end = page
        .body
        .split("action=\"/account/sessions/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form ending the other session")
        .to_string();
    let token = token_in(&page.body);
    let ended = agent
        .post(&format!("/account/sessions/{end}"), &[("csrf", &token)])
        .await;
    assert_eq!(
        (ended.status, location(&ended)),
        (303, "/account/security?m=saved")
    );
    assert_eq!(me(other_token).await, 401, "the other session is over");

    // A channel that needs a phone the user has not: said beside the choice.
    let page = agent
        .post("/account/channel", &[("csrf", &token), ("channel", "sms")])
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("id=\"channel-error\"") && page.body.contains("phone number"),
        "{}",
        page.body
    );
    let page = agent
        .post(
            "/account/channel",
            &[("csrf", &token), ("channel", "bogus")],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("id=\"channel-error\""), "{}", page.body);

    // The password: a wrong current one, two that differ, then the change.
    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        [
            ("csrf", token.clone()),
            ("current_password", current.into()),
            ("new_password", new.into()),
            ("new_password_repeat", repeat.into()),
        ]
    };
    let form = change("not my password", "a newer password", "a newer password");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = agent.post("/account/password", &pairs).await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("id=\"f-current_password-error\""),
        "{}",
        page.body
    );
    let form = change(PASSWORD, "a newer password", "not the same");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = agent.post("/account/password", &pairs).await;
    assert!(
        page.body.contains("id=\"f-new_password_repeat-error\""),
        "{}",
        page.body
    );
    let form = change(PASSWORD, "a newer password", "a newer password");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = agent.post("/account/password", &pairs).await;
    assert_eq!(
        (page.status, location(&page)),
        (303, "/account/security?m=password-changed"),
        "{}",
        page.body
    );
    let page = agent.get("/account/security?m=password-changed").await;
    assert_eq!(page.status, 200, "this session stays");
    assert!(
        page.body.contains("Your password is changed"),
        "{}",
        page.body
    );
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_cannot_brand_the_account_nor_end_another_users_session() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    user_with_password(&app, "ida@acme.test").await;
    user_with_password(&app, "jon@acme.test").await;
    let session_of = |email: &'static str| {
        let req = app
            .http
            .post(format!("{}/v1/login", app.base))
            .json(&json!({"login": email, "password": PASSWORD}));
        async move {
            let body: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
            body["session"]["token"].as_str().unwrap().to_string()
        }
    };
    let ida = session_of("ida@acme.test").await;
    let jon = session_of("jon@acme.test").await;

    // A member's session may not upload the account's logo.
    let r = app
        .http
        .put(app.url("/logo"))
        .bearer_auth(&ida)
        .header("content-type", "image/png")
        .body(png_image(20, 20, [0, 0, 0]).unwrap())
        .send()
        .await
        .unwrap();
    reply(r).await.assert_problem(403, "AUTH-FORBIDDEN");
    let served = app
        .http
        .get(format!("{}/assets/logo/{}", app.base, app.account_id))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 404, "no logo was set");

    // Ida, on her Security tab, posts the end of Jon's session: refused, Jon stays in.
    let sessions: serde_json::Value = app
        .http
        .get(format!("{}/v1/me/sessions", app.base))
        .bearer_auth(&jon)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jons = sessions["sessions"][0]["id"].as_str().unwrap().to_string();
    let mut agent = Agent::new(&app);
    assert_eq!(
        location(&agent.log_in("ida@acme.test", PASSWORD).await),
        "/account"
    );
    let token = agent.token("/account/security").await;
    let page = agent
        .post(
            &format!("/account/sessions/{jons}/end"),
            &[("csrf", &token)],
        )
        .await;
    assert_ne!(
        location(&page),
        "/account/security?m=saved",
        "{}",
        page.body
    );
    let still = app
        .http
        .get(format!("{}/v1/me/sessions", app.base))
        .bearer_auth(&jon)
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), 200, "Jon's session goes on");

    // A reset link without its token offers no form, only the way to ask for a new one.
    let page = agent.get("/reset-password").await;
    assert_eq!(page.status, 400);
    assert!(
        !page.body.contains("name=\"new_password\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("href=\"/forgot-password\""),
        "{}",
        page.body
    );
    env.cleanup().await.unwrap();
}
