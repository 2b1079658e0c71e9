//! The console's audit log over HTTP (the browser test with axe-core is in
//! `bin/tests/browser.rs`): only an AccountManager sees it; its filters narrow the table to
//! what the same filters give through `GET /v1/accounts/{a}/audit`; the CSV export is the API's
//! export byte for byte; the chart counts the logins and failed logins; a filter it cannot take
//! is said beside its field.

use chronid_tests::server::spawn_full;
use chronid_tests::TestEnv;
use reqwest::Method;
use serde_json::json;

use crate::support::*;

const PASSWORD: &str = "a long password for ada";

/// The descriptions in the page's table, in order.
fn rows(body: &str) -> Vec<String> {
    let Some(table) = body.split("<table class=\"audit\">").nth(1) else {
        return Vec::new();
    };
    let table = table.split("</table>").next().unwrap_or("");
    table
        .split("<tr class=\"")
        .skip(1)
        .map(|row| {
            let cells: Vec<&str> = row.split("<td>").collect();
            let last = cells.last().copied().unwrap_or("");
            last.split("</td>").next().unwrap_or("").to_string()
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_audit_page_shows_what_the_api_shows_to_account_managers_only() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "ada@acme.test", "password": PASSWORD,
                "roles": ["AccountAdmin"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");

    // Two logins and three wrong passwords.
    let mut manager = Agent::new(&app);
    for _ in 0..3 {
        let wrong = manager.log_in("ada@acme.test", "not her password").await;
        assert_eq!(wrong.status, 401, "{}", wrong.body);
    }
    let mut ada = Agent::new(&app);
    assert_eq!(
        location(&ada.log_in("ada@acme.test", PASSWORD).await),
        "/account"
    );
    let signed = manager
        .log_in("admin@acme.test", "a-long-admin-password")
        .await;
    assert_eq!(location(&signed), "/account");
    // The page reads the audit projection: wait for it through the API.
    let everything = audit_text(&app, &env).await;
    assert!(everything.contains("User login failed"), "{everything}");

    // Not signed in: to the login page. An AccountAdmin: the console, without the audit log.
    let mut nobody = Agent::new(&app);
    let away = nobody.get("/console/audit").await;
    assert_eq!(away.status, 303);
    assert!(location(&away).starts_with("/login"));
    let home = ada.get("/console/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(!home.body.contains("/console/audit"));
    assert_eq!(ada.get("/console/audit").await.status, 403);
    assert_eq!(
        ada.get("/console/audit/export?format=csv").await.status,
        403
    );
    assert!(manager
        .get("/console/")
        .await
        .body
        .contains("/console/audit"));

    // Each filter narrows the table to the API's answer to the same filter.
    for query in [
        "",
        "q=failed",
        "username=ada%40acme.test",
        "ip=127.0.0.1",
        "range=today",
        "q=nothing+matches+this",
    ] {
        let page = manager.get(&format!("/console/audit?{query}")).await;
        assert_eq!(page.status, 200, "{query}: {}", page.body);
        let api = app
            .call(Method::GET, &format!("/audit?{query}&limit=50"), None)
            .await;
        assert_eq!(api.status, 200, "{api:?}");
        let expected: Vec<String> = api.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["description"].as_str().unwrap().to_string())
            .collect();
        let shown: Vec<String> = rows(&page.body).iter().map(|r| unescape(r)).collect();
        assert_eq!(shown, expected, "{query}");
        if query.starts_with("q=failed") {
            assert_eq!(shown.len(), 3, "{shown:?}");
        }
    }

    // The export is the API's, byte for byte.
    let mine = manager
        .get("/console/audit/export?format=csv&q=failed")
        .await;
    assert_eq!(mine.status, 200);
    assert!(mine.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let theirs = app
        .http
        .get(app.url("/audit/export?format=csv&q=failed"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(mine.body, theirs);
    assert_eq!(mine.body.lines().count(), 1 + 3, "{}", mine.body);

    // The chart says its totals in words: two logins, three failed.
    let page = manager.get("/console/audit").await;
    assert!(page.body.contains("<svg"), "{}", page.body);
    assert!(
        page.body.contains("2 logins and 3 failed logins"),
        "{}",
        page.body
    );

    // A date-and-time range as the page's fields give it (no offset), read in the account's
    // time zone (UTC here): from an hour ago everything, from an hour ahead nothing.
    #[allow(clippy::disallowed_methods)]
    let now = chrono::Utc::now();
    let local = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let earlier = manager
        .get(&format!(
            "/console/audit?from={}",
            local(now - chrono::Duration::hours(1))
        ))
        .await;
    assert_eq!(earlier.status, 200, "{}", earlier.body);
    let all = manager.get("/console/audit").await;
    assert_eq!(rows(&earlier.body), rows(&all.body));
    assert!(!rows(&all.body).is_empty());
    let ahead = local(now + chrono::Duration::hours(1));
    let later = manager.get(&format!("/console/audit?from={ahead}")).await;
    assert_eq!(later.status, 200);
    assert!(rows(&later.body).is_empty(), "{}", later.body);
    assert!(
        later.body.contains(&format!("value=\"{ahead}\"")),
        "the field keeps what was typed"
    );

    // A time it cannot read: said beside the field, 400.
    let bad = manager.get("/console/audit?from=yesterday-ish").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("id=\"f-from-error\""), "{}", bad.body);
    // A page position that is not one.
    assert_eq!(
        manager.get("/console/audit?after=garbage").await.status,
        400
    );
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_users_pages_act_for_this_accounts_administrators_only() {
    use chronid_domain::values::{Email, Name, Password};
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    for (email, roles) in [
        ("ada@acme.test", json!(["AccountAdmin"])),
        ("max@acme.test", json!([])),
    ] {
        let r = app
            .call(
                Method::POST,
                "/users",
                Some(json!({"email": email, "password": PASSWORD, "roles": roles})),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
    }
    let bob = app.create_user("bob@acme.test").await;
    // A user of another account.
    let other = app
        .app
        .bootstrap(
            Name::parse("name", "Zenith").unwrap(),
            Email::parse("admin@zenith.test").unwrap(),
            None,
            Password::parse("a-long-admin-password").unwrap(),
        )
        .await
        .unwrap();
    let mut ada = Agent::new(&app);
    assert_eq!(
        location(&ada.log_in("ada@acme.test", PASSWORD).await),
        "/account"
    );
    let mut max = Agent::new(&app);
    assert_eq!(
        location(&max.log_in("max@acme.test", PASSWORD).await),
        "/account"
    );

    // A member has no console.
    assert_eq!(max.get("/console/users").await.status, 403);
    assert_eq!(max.get(&format!("/console/users/{bob}")).await.status, 403);
    let token = max.token("/account").await;
    let tried = max
        .post(
            &format!("/console/users/{bob}/disable"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(tried.status, 403);

    // The list and its filters (the view may lag the creations a moment).
    let listed = ada
        .get_when("/console/users?q=bob", |p| p.body.contains("bob@acme.test"))
        .await
        .body;
    assert!(listed.contains("bob@acme.test"), "{listed}");
    assert!(!listed.contains("max@acme.test"));
    assert_eq!(ada.get("/console/users?status=sleeping").await.status, 400);

    // Actions: without the form's token refused; with it, the page says the change at once.
    let refused = ada.post(&format!("/console/users/{bob}/lock"), &[]).await;
    assert_eq!(refused.status, 403);
    let token = ada.token(&format!("/console/users/{bob}")).await;
    let locked = ada
        .post(&format!("/console/users/{bob}/lock"), &[("csrf", &token)])
        .await;
    let to = location(&locked).to_string();
    assert!(
        to.starts_with(&format!("/console/users/{bob}?m=saved&at=")),
        "{to}"
    );
    let page = ada.get(&to).await;
    assert!(
        page.body.contains("Locked (by an administrator)"),
        "{}",
        page.body
    );
    let unlocked = ada
        .post(&format!("/console/users/{bob}/unlock"), &[("csrf", &token)])
        .await;
    let page = ada.get(location(&unlocked)).await;
    assert!(!page.body.contains("Locked ("), "{}", page.body);
    let required = ada
        .post(
            &format!("/console/users/{bob}/two-factor-on"),
            &[("csrf", &token)],
        )
        .await;
    let page = ada.get(location(&required)).await;
    assert!(
        page.body.contains("Turn off two-factor authentication"),
        "{}",
        page.body
    );

    // Another account's user: not found, and nothing written.
    let theirs = other.user_id;
    let before = event_count(&env).await;
    assert_eq!(
        ada.get(&format!("/console/users/{theirs}")).await.status,
        404
    );
    let crossed = ada
        .post(
            &format!("/console/users/{theirs}/disable"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(crossed.status, 404, "{}", crossed.body);
    assert_eq!(event_count(&env).await, before);

    // An AccountAdmin cannot make an AccountManager; a taken email is said beside its field.
    let made = ada
        .post(
            "/console/users",
            &[
                ("csrf", &token),
                ("email", "eve@acme.test"),
                ("role", "AccountManager"),
            ],
        )
        .await;
    assert_eq!(made.status, 403, "{}", made.body);
    let taken = ada
        .post(
            "/console/users",
            &[("csrf", &token), ("email", "bob@acme.test"), ("role", "")],
        )
        .await;
    // A conflict with what is stored, answered as one.
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(
        taken.body.contains("id=\"f-email-error\""),
        "{}",
        taken.body
    );
    assert_eq!(event_count(&env).await, before);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_security_settings_page_saves_the_policy_and_the_login_options() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "ada@acme.test", "password": PASSWORD,
                "roles": ["AccountAdmin"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let mut ada = Agent::new(&app);
    assert_eq!(
        location(&ada.log_in("ada@acme.test", PASSWORD).await),
        "/account"
    );
    assert_eq!(ada.get("/console/security").await.status, 403);
    let token = ada.token("/account").await;
    let tried = ada
        .post(
            "/console/security/login-options",
            &[("csrf", &token), ("sso", "on")],
        )
        .await;
    assert_eq!(tried.status, 403);

    let mut manager = Agent::new(&app);
    let signed = manager
        .log_in("admin@acme.test", "a-long-admin-password")
        .await;
    assert_eq!(location(&signed), "/account");
    let page = manager.get("/console/security").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("5 is recommended"), "{}", page.body);
    let token = token_in(&page.body);
    let policy = |inactivity: &'static str| {
        vec![
            ("max_inactivity_days", inactivity),
            ("max_login_attempts", "7"),
            ("password_validity_days", "90"),
            ("two_factor", "new_device"),
            ("lockout", "untrusted_devices"),
            ("lock_minutes", ""),
        ]
    };
    // Out of range: said beside the field, what was typed kept, nothing written.
    let before = event_count(&env).await;
    let mut form = policy("10");
    form.push(("csrf", &token));
    let bad = manager.post("/console/security/policy", &form).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains("id=\"f-max_inactivity_days-error\""),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("value=\"10\""));
    assert_eq!(event_count(&env).await, before);
    // In range: saved, and the API reads the same policy.
    let mut form = policy("30");
    form.push(("csrf", &token));
    let saved = manager.post("/console/security/policy", &form).await;
    assert_eq!(
        location(&saved),
        "/console/security?m=saved",
        "{}",
        saved.body
    );
    let page = manager.get("/console/security?m=saved").await;
    assert!(page.body.contains("value=\"30\""), "{}", page.body);
    let stored: serde_json::Value = sqlx::query_scalar(
        "SELECT payload -> 'SecurityPolicyUpdated' -> 'policy' FROM events
          WHERE event_type = 'SecurityPolicyUpdated' ORDER BY global_seq DESC LIMIT 1",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(stored["max_inactivity_days"], 30, "{stored}");
    assert_eq!(stored["max_login_attempts"], 7);
    assert_eq!(stored["password_validity_days"], 90);
    assert_eq!(stored["two_factor"], "new_device");
    assert_eq!(stored["lockout"], "untrusted_devices");

    // Login options: none at all refused; password and SSO saved.
    let none = manager
        .post("/console/security/login-options", &[("csrf", &token)])
        .await;
    assert_eq!(none.status, 400);
    assert!(none.body.contains("f-login_options-error"), "{}", none.body);
    let saved = manager
        .post(
            "/console/security/login-options",
            &[("csrf", &token), ("password", "on"), ("sso", "on")],
        )
        .await;
    assert_eq!(location(&saved), "/console/security?m=saved");
    let page = manager.get("/console/security").await;
    assert!(
        page.body
            .contains("id=\"f-sso\" name=\"sso\" value=\"on\" checked"),
        "{}",
        page.body
    );
    assert!(!page
        .body
        .contains("id=\"f-google\" name=\"google\" value=\"on\" checked"));
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn api_keys_are_shown_once_renamed_given_an_expiry_and_revoked() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let mut manager = Agent::new(&app);
    let signed = manager
        .log_in("admin@acme.test", "a-long-admin-password")
        .await;
    assert_eq!(location(&signed), "/account");
    let token = manager.token("/console/api-keys").await;

    // A name is required: said beside it, nothing written.
    let before = event_count(&env).await;
    let nameless = manager
        .post("/console/api-keys", &[("csrf", &token), ("name", "")])
        .await;
    assert_eq!(nameless.status, 400);
    assert!(
        nameless.body.contains("id=\"f-name-error\""),
        "{}",
        nameless.body
    );
    assert_eq!(event_count(&env).await, before);

    // Created: the key is on the answer, once, and works against the API.
    let made = manager
        .post(
            "/console/api-keys",
            &[("csrf", &token), ("name", "ci robot"), ("admin", "on")],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(made.headers["cache-control"], "no-store");
    let key = made
        .body
        .split("<code class=\"key\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the key on the page")
        .to_string();
    let users = |key: String| {
        let url = app.url("/users");
        let http = app.http.clone();
        async move {
            http.get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(users(key.clone()).await, 200);
    let again = manager.get("/console/api-keys").await;
    assert!(!again.body.contains(&key), "a key is shown once");
    assert!(again.body.contains("ci robot"));
    let id = again
        .body
        .split("action=\"/console/api-keys/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_string();

    // Renamed; an expiry in the past refused beside the key; one ahead kept.
    let renamed = manager
        .post(
            &format!("/console/api-keys/{id}/rename"),
            &[("csrf", &token), ("name", "ci robot 2")],
        )
        .await;
    assert_eq!(
        location(&renamed),
        format!("/console/api-keys?m=saved#key-{id}")
    );
    assert!(manager
        .get("/console/api-keys")
        .await
        .body
        .contains("ci robot 2"));
    let past = manager
        .post(
            &format!("/console/api-keys/{id}/expiry"),
            &[("csrf", &token), ("valid_until", "2020-01-01T00:00")],
        )
        .await;
    assert_eq!(past.status, 400, "{}", past.body);
    assert!(past.body.contains("role=\"alert\""), "{}", past.body);
    let ahead = manager
        .post(
            &format!("/console/api-keys/{id}/expiry"),
            &[("csrf", &token), ("valid_until", "2099-01-01T00:00")],
        )
        .await;
    assert_eq!(
        location(&ahead),
        format!("/console/api-keys?m=saved#key-{id}")
    );
    assert!(manager
        .get("/console/api-keys")
        .await
        .body
        .contains("2099-01-01 00:00"));

    // Revoked: the key no longer opens the API.
    let revoked = manager
        .post(
            &format!("/console/api-keys/{id}/revoke"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(
        location(&revoked),
        format!("/console/api-keys?m=saved#key-{id}")
    );
    assert_eq!(users(key).await, 401);

    // An AccountAdmin has no API keys page.
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "ada@acme.test", "password": PASSWORD,
                "roles": ["AccountAdmin"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let mut ada = Agent::new(&app);
    assert_eq!(
        location(&ada.log_in("ada@acme.test", PASSWORD).await),
        "/account"
    );
    assert_eq!(ada.get("/console/api-keys").await.status, 403);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn teams_are_made_renamed_filled_emptied_and_deleted_and_sso_teams_stay_read_only() {
    use chronid_domain::account::{Account, AccountCommand};
    use chronid_domain::metadata::RequestFacts;
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "ada@acme.test", "password": PASSWORD,
                "roles": ["AccountAdmin"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let bob = app.create_user("bob@acme.test").await;
    let mut ada = Agent::new(&app);
    assert_eq!(
        location(&ada.log_in("ada@acme.test", PASSWORD).await),
        "/account"
    );
    let token = ada.token("/console/teams").await;

    let made = ada
        .post("/console/teams", &[("csrf", &token), ("name", "Ops")])
        .await;
    let to = location(&made).to_string();
    assert!(to.starts_with("/console/teams/"), "{}", made.body);
    let team = to["/console/teams/".len()..]
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert!(ada.get(&to).await.body.contains("<h1>Ops</h1>"));
    let twice = ada
        .post("/console/teams", &[("csrf", &token), ("name", "ops")])
        .await;
    assert_eq!(twice.status, 400, "{}", twice.body);
    assert!(twice.body.contains("id=\"f-name-error\""), "{}", twice.body);

    // Members by email: bob in, a stranger refused, bob out.
    let added = ada
        .post(
            &format!("/console/teams/{team}/members"),
            &[("csrf", &token), ("email", "BOB@acme.test")],
        )
        .await;
    let page = ada.get(location(&added)).await;
    assert!(page.body.contains("bob@acme.test"), "{}", page.body);
    let stranger = ada
        .post(
            &format!("/console/teams/{team}/members"),
            &[("csrf", &token), ("email", "nobody@acme.test")],
        )
        .await;
    assert_eq!(stranger.status, 400);
    let removed = ada
        .post(
            &format!("/console/teams/{team}/members/{bob}/remove"),
            &[("csrf", &token)],
        )
        .await;
    let page = ada.get(location(&removed)).await;
    assert!(!page.body.contains("bob@acme.test"), "{}", page.body);

    // Renamed, then deleted.
    let renamed = ada
        .post(
            &format!("/console/teams/{team}/rename"),
            &[("csrf", &token), ("name", "Operations")],
        )
        .await;
    assert!(ada
        .get(location(&renamed))
        .await
        .body
        .contains("<h1>Operations</h1>"));
    let deleted = ada
        .post(
            &format!("/console/teams/{team}/delete"),
            &[("csrf", &token)],
        )
        .await;
    let list = ada.get(location(&deleted)).await;
    assert!(!list.body.contains("Operations"), "{}", list.body);

    // A team SSO group sync manages: members read-only, and a manual change refused.
    let sso_team = uuid::Uuid::now_v7();
    app.app
        .executor()
        .execute::<Account>(
            &app.account_id.to_string(),
            AccountCommand::CreateTeam {
                team_id: sso_team,
                name: chronid_domain::values::Name::parse("name", "Finance").unwrap(),
                sso_managed: true,
            },
            &RequestFacts::system(),
        )
        .await
        .unwrap();
    let page = ada
        .get_when(&format!("/console/teams/{sso_team}"), |p| p.status == 200)
        .await
        .body;
    assert!(page.contains("manages this team"), "{page}");
    assert!(!page.contains(&format!("/console/teams/{sso_team}/members\"")));
    let before = event_count(&env).await;
    let forced = ada
        .post(
            &format!("/console/teams/{sso_team}/members"),
            &[("csrf", &token), ("email", "bob@acme.test")],
        )
        .await;
    assert_eq!(forced.status, 400, "{}", forced.body);
    assert_eq!(event_count(&env).await, before);

    // Someone else's team, and a member without a role.
    assert_eq!(
        ada.get(&format!("/console/teams/{}", uuid::Uuid::now_v7()))
            .await
            .status,
        404
    );
    let mut max = Agent::new(&app);
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "max@acme.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        location(&max.log_in("max@acme.test", PASSWORD).await),
        "/account"
    );
    assert_eq!(max.get("/console/teams").await.status, 403);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_users_history_shows_the_timeline_and_the_user_as_of_a_time() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "ada@acme.test", "password": PASSWORD,
                "roles": ["AccountAdmin"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let ada: uuid::Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
    // Whole seconds apart: the page takes times to the second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    #[allow(clippy::disallowed_methods)]
    let before_lock = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let locked = app
        .call(Method::POST, &format!("/users/{ada}/lock"), None)
        .await;
    assert_eq!(locked.status, 200, "{locked:?}");

    let mut manager = Agent::new(&app);
    let signed = manager
        .log_in("admin@acme.test", "a-long-admin-password")
        .await;
    assert_eq!(location(&signed), "/account");
    let page = manager.get(&format!("/console/users/{ada}/history")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("UserRegistered"), "{}", page.body);
    assert!(page.body.contains("UserLocked"));
    assert!(page.body.contains("<circle"), "the timeline");
    // As of before the lock: active; as of now: locked. A time before she existed: not yet.
    let local = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let then = manager
        .get(&format!(
            "/console/users/{ada}/history?as_of={}",
            local(before_lock)
        ))
        .await;
    assert!(
        then.body.contains("class=\"status\">Active"),
        "{}",
        then.body
    );
    assert!(!then.body.contains("UserLocked"));
    #[allow(clippy::disallowed_methods)]
    let now = chrono::Utc::now() + chrono::Duration::seconds(2);
    let later = manager
        .get(&format!(
            "/console/users/{ada}/history?as_of={}",
            local(now)
        ))
        .await;
    assert!(
        later.body.contains("class=\"status\">Locked"),
        "{}",
        later.body
    );
    let before = manager
        .get(&format!(
            "/console/users/{ada}/history?as_of=2020-01-01T00:00"
        ))
        .await;
    assert!(before.body.contains("did not exist yet"), "{}", before.body);
    // Not a user of this account; not for an AccountAdmin.
    assert_eq!(
        manager
            .get(&format!("/console/users/{}/history", uuid::Uuid::now_v7()))
            .await
            .status,
        404
    );
    let mut ada_agent = Agent::new(&app);
    let _ = ada_agent.log_in("ada@acme.test", PASSWORD).await;
    // Ada is locked: she cannot even log in; a second admin checks the role rule.
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "ida@acme.test", "password": PASSWORD,
                "roles": ["AccountAdmin"]})),
        )
        .await;
    assert_eq!(r.status, 201);
    let mut ida = Agent::new(&app);
    assert_eq!(
        location(&ida.log_in("ida@acme.test", PASSWORD).await),
        "/account"
    );
    assert_eq!(
        ida.get(&format!("/console/users/{ada}/history"))
            .await
            .status,
        403
    );
    env.cleanup().await.unwrap();
}

/// Ada (an AccountAdmin) and the bootstrap admin (an AccountManager), each signed in on the
/// pages.
async fn admin_and_manager(app: &chronid_tests::server::TestApp) -> (Agent, Agent) {
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "ada@acme.test", "password": PASSWORD,
                "roles": ["AccountAdmin"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let mut ada = Agent::new(app);
    assert_eq!(
        location(&ada.log_in("ada@acme.test", PASSWORD).await),
        "/account"
    );
    let mut manager = Agent::new(app);
    let signed = manager
        .log_in("admin@acme.test", "a-long-admin-password")
        .await;
    assert_eq!(location(&signed), "/account");
    (ada, manager)
}

/// Posts `bytes` as the logo file `name` on the customization page's upload form.
async fn upload_logo(agent: &mut Agent, token: &str, name: &str, bytes: &[u8]) -> Page {
    agent
        .post_multipart(
            "/console/customization/logo",
            &[("csrf", token)],
            &[("logo", name, bytes)],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn customization_saves_the_look_and_host_name_and_takes_only_a_logo_of_150_px() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let (mut ada, mut manager) = admin_and_manager(&app).await;

    // An AccountAdmin neither sees nor posts the page.
    assert_eq!(ada.get("/console/customization").await.status, 403);
    let token = ada.token("/account").await;
    let logo = chronid_tests::png_image(150, 150, [20, 120, 200]).unwrap();
    let tried = upload_logo(&mut ada, &token, "logo.png", &logo).await;
    assert_eq!(tried.status, 403);

    let page = manager.get("/console/customization").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .body
        .contains("href=\"/console/customization\" aria-current=\"page\""));
    let token = token_in(&page.body);
    // A host name that is none: beside its field, what was typed kept, nothing written.
    let before = event_count(&env).await;
    let look = |host: &'static str| {
        vec![
            ("language", "de"),
            ("color_scheme", "dark"),
            ("time_zone", "Europe/Zagreb"),
            ("hostname", host),
        ]
    };
    let mut form = look("not a host name");
    form.push(("csrf", &token));
    let bad = manager.post("/console/customization", &form).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("id=\"f-hostname-error\""), "{}", bad.body);
    assert!(bad.body.contains("value=\"not a host name\""));
    assert_eq!(event_count(&env).await, before);
    // Without the form's token: refused.
    let forged = manager
        .post("/console/customization", &look("login.acme.test"))
        .await;
    assert_eq!(forged.status, 403);
    // Saved: the page shows it and the DNS record to create.
    let mut form = look("login.acme.test");
    form.push(("csrf", &token));
    let saved = manager.post("/console/customization", &form).await;
    assert_eq!(
        location(&saved),
        "/console/customization?m=saved",
        "{}",
        saved.body
    );
    let page = manager.get("/console/customization").await;
    assert!(
        page.body
            .contains("<option value=\"de\" lang=\"de\" selected>"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("<option value=\"Europe/Zagreb\" selected>"));
    assert!(page
        .body
        .contains("id=\"f-color_scheme-dark\" name=\"color_scheme\" value=\"dark\" checked"));
    let record = page
        .body
        .split("<table class=\"dns-record\">")
        .nth(1)
        .expect("the DNS record");
    assert!(
        record.contains(
            "<td>CNAME</td><td><code>login.acme.test</code></td><td><code>127.0.0.1</code>"
        ),
        "{record}"
    );
    let text: String = sqlx::query_scalar(
        "SELECT string_agg(event_type || payload::text, ' ') FROM events
          WHERE event_type IN ('HostnameSet', 'AccountTimeZoneChanged', 'AccountLanguageChanged', 'ColorSchemeSet')",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    for said in [
        "login.acme.test",
        "Europe/Zagreb",
        "AccountLanguageChanged",
        "ColorSchemeSet",
    ] {
        assert!(text.contains(said), "{said}: {text}");
    }

    // A logo of 151 x 151 pixels: the error beside the file field, nothing written.
    let before = event_count(&env).await;
    let large = chronid_tests::png_image(151, 151, [20, 120, 200]).unwrap();
    let refused = upload_logo(&mut manager, &token, "big.png", &large).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let error = refused
        .body
        .split("id=\"f-logo-error\"")
        .nth(1)
        .expect("the logo's error");
    assert!(error.contains("larger than 150 x 150 pixels"), "{error}");
    assert!(!refused.body.contains("class=\"logo-preview\""));
    assert_eq!(event_count(&env).await, before);
    // No file chosen, and a file that is no image: said beside the field too.
    let empty = upload_logo(&mut manager, &token, "", b"").await;
    assert!(
        empty.body.contains("Choose an image file."),
        "{}",
        empty.body
    );
    let text_file = upload_logo(&mut manager, &token, "a.png", b"hello").await;
    assert!(
        text_file.body.contains("cannot be read as a PNG or JPEG"),
        "{}",
        text_file.body
    );
    // 150 x 150: kept, previewed, and served.
    let kept = upload_logo(&mut manager, &token, "logo.png", &logo).await;
    assert_eq!(
        location(&kept),
        "/console/customization?m=saved#preview-heading",
        "{}",
        kept.body
    );
    let page = manager.get("/console/customization").await;
    let preview = page
        .body
        .split("class=\"logo-preview\"")
        .nth(1)
        .expect("the preview");
    assert!(
        preview.contains("width=\"150\" height=\"150\""),
        "{preview}"
    );
    let account = app.account_id;
    let served = manager.get(&format!("/assets/logo/{account}")).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.headers.get("content-type").unwrap(), "image/png");
    // Removed.
    let removed = manager
        .post("/console/customization/logo/remove", &[("csrf", &token)])
        .await;
    assert_eq!(location(&removed), "/console/customization?m=saved");
    assert!(!manager
        .get("/console/customization")
        .await
        .body
        .contains("class=\"logo-preview\""));
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sso_form_makes_and_changes_a_configuration_with_the_seeds_fields() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let (mut ada, mut manager) = admin_and_manager(&app).await;
    assert_eq!(ada.get("/console/sso").await.status, 403);
    assert_eq!(ada.get("/console/sso/new").await.status, 403);

    let form = manager.get("/console/sso/new").await;
    assert_eq!(form.status, 200, "{}", form.body);
    for label in [
        "IdP Identifier",
        "IdP Signature Certificate",
        "IdP Single Sign-On URL",
        "Logout URL",
        "SP Entity ID",
        "SP Assertion Consumer URL",
        "Auto-create Users",
        "Auto-create Groups",
    ] {
        assert!(form.body.contains(label), "{label}");
    }
    let token = token_in(&form.body);
    let good = certificate(2048, -1, 365);
    let fields = |slug: &'static str| {
        vec![
            ("idp_entity_id", "https://sts.contoso.test/adfs"),
            ("idp_sso_url", "https://sts.contoso.test/adfs/ls/"),
            ("logout_url", "https://sts.contoso.test/logout"),
            ("sp_slug", slug),
            ("auto_create_users", "on"),
            ("name_id_source", "email"),
        ]
    };
    // An expired certificate, uploaded as a file: beside the certificate field, nothing
    // written, what was typed kept.
    let before = event_count(&env).await;
    let expired = certificate(2048, -30, -1);
    let mut texts = fields("contoso");
    texts.push(("csrf", &token));
    let refused = manager
        .post_multipart(
            "/console/sso",
            &texts,
            &[("idp_certificate_file", "idp.pem", expired.as_bytes())],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let error = refused
        .body
        .split("id=\"f-idp_certificates-error\"")
        .nth(1)
        .expect("the error");
    assert!(
        error.split("</p>").next().unwrap().contains("expired"),
        "{error}"
    );
    assert!(refused
        .body
        .contains("value=\"https://sts.contoso.test/adfs\""));
    assert_eq!(event_count(&env).await, before);
    // A certificate as DER in the file: taken, and the page after the redirect shows the
    // generated URLs and the certificate's expiry.
    let der = openssl::x509::X509::from_pem(good.as_bytes())
        .unwrap()
        .to_der()
        .unwrap();
    let made = manager
        .post_multipart(
            "/console/sso",
            &texts,
            &[("idp_certificate_file", "idp.der", &der)],
        )
        .await;
    let at = location(&made).to_string();
    assert!(
        at.starts_with("/console/sso/") && at.ends_with("?m=saved"),
        "{at} {}",
        made.body
    );
    let page = manager.get(&at).await;
    assert_eq!(page.status, 200);
    let api = app.call(Method::GET, "/sso", None).await;
    let config = &api.body["configs"][0];
    for url in ["sp_entity_id", "acs_url", "metadata_url"] {
        let value = config[url].as_str().unwrap();
        assert!(page.body.contains(value), "{url} {value}");
    }
    assert_eq!(config["auto_create_users"], true);
    assert_eq!(config["auto_create_groups"], false);
    let expiry = (chrono::Utc::now() + chrono::Duration::days(365))
        .format("%Y-%m-%d")
        .to_string();
    assert!(
        page.body.contains(&format!("expires on {expiry}")),
        "{}",
        page.body
    );
    // The metadata link serves the SP metadata with the generated URLs.
    let metadata = reqwest::get(config["metadata_url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metadata.contains(config["acs_url"].as_str().unwrap()),
        "{metadata}"
    );

    // Another configuration may not take the same SP Entity ID.
    let mut again = fields("contoso");
    let pem = good.clone();
    again.push(("csrf", &token));
    again.push(("idp_certificates", &pem));
    let taken = manager.post_multipart("/console/sso", &again, &[]).await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(taken.body.contains("id=\"f-sp_slug-error\""));

    // Changed: the pasted certificate kept, groups turned on.
    let mut changed = fields("contoso");
    changed.push(("auto_create_groups", "on"));
    changed.push(("idp_certificates", &pem));
    changed.push(("csrf", &token));
    let path = at.trim_end_matches("?m=saved").to_string();
    let saved = manager.post_multipart(&path, &changed, &[]).await;
    assert_eq!(
        location(&saved),
        format!("{path}?m=saved"),
        "{}",
        saved.body
    );
    let api = app.call(Method::GET, "/sso", None).await;
    assert_eq!(
        api.body["configs"][0]["auto_create_groups"], true,
        "{api:?}"
    );
    // Deleted.
    let gone = manager
        .post(&format!("{path}/delete"), &[("csrf", &token)])
        .await;
    assert_eq!(location(&gone), "/console/sso?m=saved");
    let api = app.call(Method::GET, "/sso", None).await;
    assert_eq!(api.body["configs"].as_array().unwrap().len(), 0, "{api:?}");
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_users_page_edits_changes_the_email_ends_a_session_and_the_list_filters_by_team() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let (mut ada, mut manager) = admin_and_manager(&app).await;
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "bob@acme.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let bob = r.body["id"].as_str().unwrap().to_string();
    let mut bobs_browser = Agent::new(&app);
    assert_eq!(
        location(&bobs_browser.log_in("bob@acme.test", PASSWORD).await),
        "/account"
    );
    let team = app
        .call(Method::POST, "/teams", Some(json!({"name": "Ops"})))
        .await;
    assert_eq!(team.status, 201, "{team:?}");
    let team = team.body["id"].as_str().unwrap().to_string();
    let added = app
        .call(Method::PUT, &format!("/teams/{team}/members/{bob}"), None)
        .await;
    assert_eq!(added.status, 200, "{added:?}");

    // The team filter: Bob only (the view may trail the write by a moment).
    let listed = manager
        .get_when(&format!("/console/users?team={team}"), |p| {
            p.body.contains("bob@acme.test")
        })
        .await
        .body;
    assert!(listed.contains("bob@acme.test"), "{listed}");
    assert!(!listed.contains("ada@acme.test"), "{listed}");
    // A team that is none: the page says the filter cannot be taken.
    assert_eq!(
        manager.get("/console/users?team=nonsense").await.status,
        400
    );

    // Bob's page: his team, his session, and for a manager his timeline.
    let page = manager.get(&format!("/console/users/{bob}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains(&format!("<a href=\"/console/teams/{team}\">Ops</a>")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("figure class=\"chart timeline\""),
        "{}",
        page.body
    );
    let marker = format!("/console/users/{bob}/sessions/");
    let session = page
        .body
        .split(&marker)
        .nth(1)
        .expect("Bob's session")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    assert!(!ada
        .get(&format!("/console/users/{bob}"))
        .await
        .body
        .contains("chart timeline"));
    let token = token_in(&page.body);

    // Edit: a phone that is none is said beside it and nothing is written; then saved.
    let before = event_count(&env).await;
    let edit = |phone: &'static str| {
        vec![
            ("first_name", "Robert"),
            ("last_name", "Builder"),
            ("phone", phone),
            ("language", "de"),
        ]
    };
    let mut form = edit("not a phone");
    form.push(("csrf", &token));
    let bad = manager
        .post(&format!("/console/users/{bob}/edit"), &form)
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("id=\"f-phone-error\""), "{}", bad.body);
    assert_eq!(event_count(&env).await, before);
    let mut form = edit("+14155550100");
    form.push(("csrf", &token));
    let saved = manager
        .post(&format!("/console/users/{bob}/edit"), &form)
        .await;
    let to = location(&saved).to_string();
    assert!(
        to.starts_with(&format!("/console/users/{bob}?m=saved&at=")),
        "{to} {}",
        saved.body
    );
    let page = manager.get(&to).await;
    assert!(
        page.body.contains("<h1>Robert Builder</h1>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("+14155550100"));
    // An AccountAdmin may not make Bob an AccountManager: refused, nothing written.
    let ada_token = ada.token(&format!("/console/users/{bob}")).await;
    let before = event_count(&env).await;
    let mut form = edit("+14155550100");
    form.push(("manager", "on"));
    form.push(("csrf", &ada_token));
    let raised = ada.post(&format!("/console/users/{bob}/edit"), &form).await;
    assert_eq!(raised.status, 403, "{}", raised.body);
    assert_eq!(event_count(&env).await, before);

    // The email: a taken one beside the field; a free one replaces the login.
    let taken = manager
        .post(
            &format!("/console/users/{bob}/email"),
            &[("csrf", &token), ("email", "ada@acme.test")],
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(
        taken.body.contains("id=\"f-email-error\""),
        "{}",
        taken.body
    );
    let changed = manager
        .post(
            &format!("/console/users/{bob}/email"),
            &[("csrf", &token), ("email", "robert@acme.test")],
        )
        .await;
    assert!(location(&changed).contains("m=saved"), "{}", changed.body);
    let mut again = Agent::new(&app);
    assert_eq!(again.log_in("bob@acme.test", PASSWORD).await.status, 401);
    assert_eq!(
        location(&again.log_in("robert@acme.test", PASSWORD).await),
        "/account"
    );

    // Ending Bob's first session signs that browser out; an unknown session is not found.
    assert_eq!(bobs_browser.get("/account").await.status, 200);
    let ended = manager
        .post(
            &format!("/console/users/{bob}/sessions/{session}/end"),
            &[("csrf", &token)],
        )
        .await;
    assert!(
        location(&ended).contains("m=user-session-ended"),
        "{}",
        ended.body
    );
    let away = bobs_browser.get("/account").await;
    assert_eq!(away.status, 303);
    assert!(location(&away).starts_with("/login"));
    assert_eq!(
        again.get("/account").await.status,
        200,
        "the other session stays"
    );
    let unknown = manager
        .post(
            &format!("/console/users/{bob}/sessions/{}/end", uuid::Uuid::new_v4()),
            &[("csrf", &token)],
        )
        .await;
    assert_ne!(unknown.status, 303);
    // An AccountAdmin may not end an AccountManager's session.
    let admin = app
        .call(Method::GET, "/users?q=admin%40acme.test", None)
        .await;
    let admin_id = admin.body["users"][0]["id"].as_str().unwrap().to_string();
    let page = manager.get(&format!("/console/users/{admin_id}")).await;
    // A user with both roles: both boxes ticked, so saving the names keeps both.
    for role in ["admin", "manager"] {
        let ticked = format!("id=\"f-edit-{role}\" name=\"{role}\" value=\"on\" checked");
        assert!(page.body.contains(&ticked), "{ticked}");
    }
    let theirs = page
        .body
        .split(&format!("/console/users/{admin_id}/sessions/"))
        .nth(1)
        .expect("the manager's session")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let before = event_count(&env).await;
    let refused = ada
        .post(
            &format!("/console/users/{admin_id}/sessions/{theirs}/end"),
            &[("csrf", &ada_token)],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(event_count(&env).await, before);
    assert_eq!(manager.get("/account").await.status, 200);
    env.cleanup().await.unwrap();
}

/// An attacker's view of the console's new forms: another account's manager reaches neither
/// this account's SSO configuration nor its users' sessions; a form posted with no token, or
/// with another browser's, is refused; a session ended twice writes nothing the second time.
/// Each refusal writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_accounts_manager_a_forged_form_or_a_replay_changes_nothing() {
    use chronid_domain::values::{Email, Name, Password};
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let (_ada, mut manager) = admin_and_manager(&app).await;
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "bob@acme.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let bob = r.body["id"].as_str().unwrap().to_string();
    let mut bobs_browser = Agent::new(&app);
    assert_eq!(
        location(&bobs_browser.log_in("bob@acme.test", PASSWORD).await),
        "/account"
    );
    let sso = app
        .call(
            Method::POST,
            "/sso",
            Some(json!({"idp_entity_id": "https://sts.contoso.test/adfs",
                "idp_certificates": [certificate(2048, -1, 365)],
                "idp_sso_url": "https://sts.contoso.test/adfs/ls/", "sp_slug": "contoso",
                "auto_create_users": true, "auto_create_groups": false, "name_id_source": "email"})),
        )
        .await;
    assert_eq!(sso.status, 201, "{sso:?}");
    let config = sso.body["id"].as_str().unwrap().to_string();
    app.app
        .bootstrap(
            Name::parse("name", "Zenith").unwrap(),
            Email::parse("admin@zenith.test").unwrap(),
            None,
            Password::parse("a-long-admin-password").unwrap(),
        )
        .await
        .unwrap();
    let mut zed = Agent::new(&app);
    assert_eq!(
        location(
            &zed.log_in("admin@zenith.test", "a-long-admin-password")
                .await
        ),
        "/account"
    );
    let zed_token = zed.token("/console/sso").await;
    let page = manager
        .get_when(&format!("/console/users/{bob}"), |p| p.status == 200)
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let session = page
        .body
        .split(&format!("/console/users/{bob}/sessions/"))
        .nth(1)
        .expect("Bob's session")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let token = token_in(&page.body);

    let before = event_count(&env).await;
    // Zenith's manager, with a valid token of their own browser.
    assert_eq!(zed.get(&format!("/console/sso/{config}")).await.status, 404);
    let changed = zed
        .post_multipart(
            &format!("/console/sso/{config}"),
            &[
                ("csrf", &zed_token),
                ("idp_entity_id", "https://evil.test/idp"),
                ("idp_sso_url", "https://evil.test/sso"),
                ("sp_slug", "contoso"),
                ("name_id_source", "email"),
                ("idp_certificates", &certificate(2048, -1, 30)),
            ],
            &[],
        )
        .await;
    assert_eq!(changed.status, 404, "{}", changed.body);
    let deleted = zed
        .post(
            &format!("/console/sso/{config}/delete"),
            &[("csrf", &zed_token)],
        )
        .await;
    assert_eq!(deleted.status, 404, "{}", deleted.body);
    let ended = zed
        .post(
            &format!("/console/users/{bob}/sessions/{session}/end"),
            &[("csrf", &zed_token)],
        )
        .await;
    assert_eq!(ended.status, 404, "{}", ended.body);
    // This account's manager with no token, or with another browser's token.
    for form in [vec![], vec![("csrf", zed_token.as_str())]] {
        let forged = manager
            .post(
                &format!("/console/users/{bob}/sessions/{session}/end"),
                &form,
            )
            .await;
        assert_eq!(forged.status, 403, "{}", forged.body);
        let logo = chronid_tests::png_image(10, 10, [1, 2, 3]).unwrap();
        let forged = manager
            .post_multipart(
                "/console/customization/logo",
                &form,
                &[("logo", "l.png", &logo)],
            )
            .await;
        assert_eq!(forged.status, 403, "{}", forged.body);
    }
    assert_eq!(event_count(&env).await, before);
    assert_eq!(bobs_browser.get("/account").await.status, 200);
    let still = app.call(Method::GET, "/sso", None).await;
    assert_eq!(
        still.body["configs"][0]["idp_entity_id"],
        "https://sts.contoso.test/adfs"
    );

    // Ended once, then the same form again: the second writes nothing.
    let ended = manager
        .post(
            &format!("/console/users/{bob}/sessions/{session}/end"),
            &[("csrf", &token)],
        )
        .await;
    assert!(
        location(&ended).contains("m=user-session-ended"),
        "{}",
        ended.body
    );
    assert_eq!(bobs_browser.get("/account").await.status, 303);
    let before = event_count(&env).await;
    let again = manager
        .post(
            &format!("/console/users/{bob}/sessions/{session}/end"),
            &[("csrf", &token)],
        )
        .await;
    assert_ne!(again.status, 303, "{}", again.body);
    assert_eq!(event_count(&env).await, before);
    env.cleanup().await.unwrap();
}
