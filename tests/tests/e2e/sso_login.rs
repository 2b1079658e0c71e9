//! SSO logins end to end against a real IdP (pysaml2 signing with xmlsec1), over HTTP without
//! a browser (the browser test is in `bin/tests/browser.rs`): users created at their first
//! login with their names, group sync to SSO-managed teams with the confirmation page, logout
//! at the IdP, "Login with SSO", shared SSO, and every attack on the assertion consumer refused,
//! recorded and shown as a page.

use chronid_domain::values::{Email, Name, Password};
use chronid_tests::peers::SamlIdp;
use chronid_tests::server::spawn_full;
use chronid_tests::TestEnv;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::*;

const SP_URL: &str = "/login/saml/contoso/";

/// The hidden inputs of a page, unescaped.
fn hidden_inputs(body: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let mut out = Vec::new();
    for part in body.split("<input").skip(1) {
        let tag = part.split('>').next().unwrap_or("");
        if !tag.contains("type=\"hidden\"") {
            continue;
        }
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            tag.find(&key)
                .map(|i| unescape(tag[i + key.len()..].split('"').next().unwrap_or("")))
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            out.push((n, v));
        }
    }
    out
}

fn form_action(body: &str) -> String {
    let at = body.find("action=\"").expect("a form");
    body[at + 8..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// A configuration of the account for `idp` (slug contoso), and SSO allowed in the login
/// options.
async fn configure(app: &TestApp, idp: &SamlIdp, auto_users: bool, auto_groups: bool) -> Value {
    let body = config_body(idp, auto_users, auto_groups);
    let r = app.call(Method::POST, "/sso", Some(body)).await;
    assert_eq!(r.status, 201, "{r:?}");
    let options = json!({"password": true, "google": false, "github": false, "sso": true});
    let o = app.call(Method::PUT, "/login-options", Some(options)).await;
    assert_eq!(o.status, 200, "{o:?}");
    r.body
}

fn config_body(idp: &SamlIdp, auto_users: bool, auto_groups: bool) -> Value {
    json!({
        "idp_entity_id": idp.entity_id,
        "idp_certificates": [idp.certificate_pem],
        "idp_sso_url": idp.sso_url,
        "logout_url": format!("{}/logout", idp.base),
        "sp_slug": "contoso",
        "auto_create_users": auto_users,
        "auto_create_groups": auto_groups,
        "name_id_source": "email"
    })
}

async fn idp_for(app: &TestApp) -> SamlIdp {
    SamlIdp::start(&[format!("{}/saml/contoso/metadata", app.base)])
        .await
        .unwrap()
}

/// From the SP initiation URL through the IdP's login form: the POST binding's fields and
/// where they go.
async fn idp_answer(
    agent: &mut Agent,
    idp: &SamlIdp,
    who: &[(&str, &str)],
) -> (String, Vec<(String, String)>) {
    let start = agent.get(SP_URL).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let to_idp = location(&start).to_string();
    assert!(to_idp.starts_with(&idp.sso_url), "{to_idp}");
    let form = agent.get(&to_idp).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let mut fields = hidden_inputs(&form.body);
    fields.extend(who.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let binding = agent
        .post(&format!("{}/sso/login", idp.base), &pairs(&fields))
        .await;
    assert_eq!(binding.status, 200, "{}", binding.body);
    (form_action(&binding.body), hidden_inputs(&binding.body))
}

/// The whole way to the assertion consumer; its answer.
async fn through_idp(agent: &mut Agent, idp: &SamlIdp, who: &[(&str, &str)]) -> Page {
    let (acs, fields) = idp_answer(agent, idp, who).await;
    agent.post_cross_site(&acs, &pairs(&fields)).await
}

fn carol(groups: &str) -> Vec<(&'static str, String)> {
    vec![
        ("email", "carol@contoso.test".to_string()),
        ("given_name", "Carol".to_string()),
        ("surname", "Danvers".to_string()),
        ("groups", groups.to_string()),
    ]
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn failures(env: &TestEnv, reason: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'SsoLoginFailed'
           AND payload -> 'SsoLoginFailed' ->> 'reason' = $1",
    )
    .bind(reason)
    .fetch_one(&env.pool)
    .await
    .unwrap()
}

/// The first login creates Carol with her names and her teams, asks her to confirm the team
/// changes before the session; a later login with other groups adds and removes; an unchanged
/// one goes straight in; logging out ends at the IdP; the audit log tells it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sso_login_creates_the_user_syncs_teams_and_asks_to_confirm() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let idp = idp_for(&app).await;
    let config = configure(&app, &idp, true, true).await;
    let config_id = config["id"].as_str().unwrap().to_string();

    let mut agent = Agent::new(&app);
    let acs = through_idp(&mut agent, &idp, &refs(&carol("Ops, Admins"))).await;
    assert_eq!(acs.status, 303, "{}", acs.body);
    let finish = location(&acs).to_string();
    assert!(finish.starts_with("/login/saml/finish?ticket="), "{finish}");
    // The consumer sets no cookie: the browser id the login started with stays.
    assert!(acs.headers.get("set-cookie").is_none());
    let next = agent.get(&finish).await;
    assert_eq!(location(&next), "/login/saml/confirm", "{}", next.body);
    assert!(
        agent.cookie("chronid_session").is_none(),
        "no session before confirming"
    );
    let confirm = agent.get("/login/saml/confirm").await;
    assert_eq!(confirm.status, 200);
    for text in ["Ops", "Admins", "I understand"] {
        assert!(confirm.body.contains(text), "{text}: {}", confirm.body);
    }
    let token = token_in(&confirm.body);
    let done = agent
        .post("/login/saml/confirm", &[("csrf", token.as_str())])
        .await;
    assert_eq!(location(&done), "/account", "{}", done.body);
    assert!(agent.cookie("chronid_session").is_some());
    let account = agent.get("/account").await;
    assert_eq!(account.status, 200);
    assert!(account.body.contains("Carol"), "{}", account.body);

    // The user: created by this configuration, with her names, no password.
    let registered: Value = sqlx::query_scalar(
        "SELECT payload -> 'UserRegistered' FROM events WHERE event_type = 'UserRegistered'
           AND payload -> 'UserRegistered' ->> 'email' = 'carol@contoso.test'",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(registered["source"], "sso");
    assert_eq!(registered["sso_config_id"], json!(config_id));
    assert_eq!(registered["first_name"], "Carol");
    assert_eq!(registered["last_name"], "Danvers");
    assert_eq!(registered["sso_managed"], true);
    let user_id = registered["user_id"].as_str().unwrap().to_string();
    let login_method: String = sqlx::query_scalar(
        "SELECT payload -> 'LoginSucceeded' ->> 'method' FROM events
          WHERE event_type = 'LoginSucceeded' AND aggregate_id = $1",
    )
    .bind(&user_id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(login_method, "sso");
    // Her teams: created, managed by SSO, their members not changeable by the API.
    let teams: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT payload -> 'TeamCreated' ->> 'team_id', payload -> 'TeamCreated' ->> 'name',
                (payload -> 'TeamCreated' ->> 'sso_managed')::bool
           FROM events WHERE event_type = 'TeamCreated' ORDER BY global_seq",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    let names: Vec<&str> = teams.iter().map(|(_, n, _)| n.as_str()).collect();
    assert_eq!(names, ["Admins", "Ops"]);
    assert!(teams.iter().all(|(_, _, sso)| *sso));
    let ops = &teams.iter().find(|(_, n, _)| n == "Ops").unwrap().0;
    let r = app
        .call(
            Method::DELETE,
            &format!("/teams/{ops}/members/{user_id}"),
            None,
        )
        .await;
    r.assert_problem(409, "USR-TEAM-SSO-MANAGED");

    // Another day, other groups: Finance added, Admins removed, confirmed again.
    let mut later = Agent::new(&app);
    let acs = through_idp(&mut later, &idp, &refs(&carol("Ops,Finance"))).await;
    let next = later.get(location(&acs)).await;
    assert_eq!(location(&next), "/login/saml/confirm");
    let confirm = later.get("/login/saml/confirm").await;
    let added = confirm.body.split("teams-added").nth(1).unwrap_or("");
    let removed = confirm.body.split("teams-removed").nth(1).unwrap_or("");
    assert!(added.contains("Finance") && !added.split("</ul>").next().unwrap().contains("Ops"));
    assert!(removed.contains("Admins"), "{}", confirm.body);
    let token = token_in(&confirm.body);
    let done = later
        .post("/login/saml/confirm", &[("csrf", token.as_str())])
        .await;
    assert_eq!(location(&done), "/account");
    // Replaying the confirmation opens nothing more: its ticket was spent.
    let again = later
        .post("/login/saml/confirm", &[("csrf", token.as_str())])
        .await;
    assert_ne!(location(&again), "/account");

    // Unchanged groups: straight in.
    let mut third = Agent::new(&app);
    let acs = through_idp(&mut third, &idp, &refs(&carol("Finance, Ops"))).await;
    let next = third.get(location(&acs)).await;
    assert_eq!(location(&next), "/account", "{}", next.body);
    // Logging out of an SSO session ends at the IdP's logout URL.
    let page = third.get("/account").await;
    let token = token_in(&page.body);
    let out = third.post("/logout", &[("csrf", token.as_str())]).await;
    let refresh = out
        .headers
        .get("refresh")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(
        refresh,
        Some(format!("0;url={}/logout", idp.base)),
        "{}",
        out.body
    );
    assert!(third.cookie("chronid_session").is_none());

    // Auto-create groups turned off: the SSO teams become ordinary ones.
    let off = app
        .call(
            Method::PATCH,
            &format!("/sso/{config_id}"),
            Some(config_body(&idp, true, false)),
        )
        .await;
    assert_eq!(off.status, 200, "{off:?}");
    let r = app
        .call(
            Method::DELETE,
            &format!("/teams/{ops}/members/{user_id}"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    // The audit log tells it in the catalogue's words.
    let text = audit_text(&app, &env).await;
    for line in [
        "User created.",
        "created at first SSO login",
        "User logged in (Carol Danvers, carol@contoso.test)",
        "by SSO group sync",
        "no longer managed by SSO",
    ] {
        assert!(text.contains(line), "{line} not in {text}");
    }
    env.cleanup().await.unwrap();
}

/// Every attack on the assertion consumer is refused with a page that says so, and recorded
/// with its reason: forged and unsuitable responses, a response posted twice, a ticket taken
/// to another browser (login CSRF), a ticket used twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assertion_consumer_refuses_and_records_every_attack() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let idp = idp_for(&app).await;
    let config = configure(&app, &idp, true, false).await;
    let acs_url = config["acs_url"].as_str().unwrap().to_string();
    let sp = config["sp_entity_id"].as_str().unwrap().to_string();

    // A response posted twice: the second is refused.
    let mut victim = Agent::new(&app);
    let (acs, fields) = idp_answer(&mut victim, &idp, &refs(&carol(""))).await;
    assert_eq!(acs, acs_url);
    let first = victim.post_cross_site(&acs, &pairs(&fields)).await;
    assert_eq!(first.status, 303);
    let replayed = victim.post_cross_site(&acs, &pairs(&fields)).await;
    assert_eq!(replayed.status, 400, "{}", replayed.body);
    assert!(
        replayed.body.contains("Reference: replayed"),
        "{}",
        replayed.body
    );
    assert_eq!(failures(&env, "replayed").await, 1);

    // The ticket taken to another browser (an attacker's own response planted in a victim's
    // browser): refused there, and spent.
    let finish = location(&first).to_string();
    let mut other = Agent::new(&app);
    let planted = other.get(&finish).await;
    assert_eq!(planted.status, 400, "{}", planted.body);
    assert!(planted.body.contains("Reference: other_browser"));
    assert!(other.cookie("chronid_session").is_none());
    let own = victim.get(&finish).await;
    assert_eq!(
        own.status, 400,
        "a ticket another browser presented is spent"
    );
    assert_eq!(failures(&env, "other_browser").await, 1);

    // A ticket opens one session.
    let mut agent = Agent::new(&app);
    let acs = through_idp(&mut agent, &idp, &refs(&carol(""))).await;
    let finish = location(&acs).to_string();
    let opened = agent.get(&finish).await;
    assert_eq!(location(&opened), "/account", "{}", opened.body);
    let twice = agent.get(&finish).await;
    assert_eq!(twice.status, 400);
    assert!(twice.body.contains("Reference: replayed"));

    // Forged and unsuitable responses, each for a request this browser has outstanding.
    let mut forger = Agent::new(&app);
    let start = forger.get(SP_URL).await;
    assert_eq!(start.status, 303);
    let request_id: String = sqlx::query_scalar(
        "SELECT request_id FROM saml_requests WHERE used_at IS NULL ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    for (mode, in_response_to, reason) in [
        ("unsigned", request_id.as_str(), "signature"),
        ("other_key", &request_id, "signature"),
        ("sha1", &request_id, "weak_algorithm"),
        ("expired", &request_id, "expired"),
        ("not_yet_valid", &request_id, "not_yet_valid"),
        ("wrong_audience", &request_id, "audience"),
        ("wrong_destination", &request_id, "destination"),
        ("unsolicited", "", "unsolicited"),
        ("valid", "_never-sent", "unknown_request"),
    ] {
        let before = failures(&env, reason).await;
        let r = idp
            .test_response(&[
                ("email", "carol@contoso.test"),
                ("sp", &sp),
                ("in_response_to", in_response_to),
                ("mode", mode),
            ])
            .await
            .unwrap();
        let response = r["saml_response"].as_str().unwrap();
        let page = forger
            .post_cross_site(&acs_url, &[("SAMLResponse", response)])
            .await;
        assert_eq!(page.status, 400, "{mode}: {}", page.body);
        assert!(
            page.body.contains(&format!("Reference: {reason}")),
            "{mode}: {}",
            page.body
        );
        assert!(page.headers.get("set-cookie").is_none());
        assert_eq!(failures(&env, reason).await, before + 1, "{mode}");
    }
    // A comment splitting the signed NameID (CVE-2017-11427 style).
    let r = idp
        .test_response(&[
            ("email", "carol@contoso.test"),
            ("sp", &sp),
            ("in_response_to", &request_id),
        ])
        .await
        .unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let xml = String::from_utf8(b64.decode(r["saml_response"].as_str().unwrap()).unwrap()).unwrap();
    let commented = xml.replacen(
        "carol@contoso.test<",
        "carol@contoso.test<!---->.evil.test<",
        1,
    );
    assert_ne!(commented, xml);
    let page = forger
        .post_cross_site(&acs_url, &[("SAMLResponse", &b64.encode(commented))])
        .await;
    assert!(page.body.contains("Reference: malformed"), "{}", page.body);
    // Garbage, and nothing at all.
    for junk in ["", "bm90IHhtbA==", "%%%"] {
        let page = forger
            .post_cross_site(&acs_url, &[("SAMLResponse", junk)])
            .await;
        assert_eq!(page.status, 400, "{junk}: {}", page.body);
    }
    // Where unsolicited responses are allowed, the same one twice: its assertion is
    // accepted once.
    let mut allowing = crate::sso_login::config_body(&idp, true, false);
    allowing["allow_idp_initiated"] = json!(true);
    let config_id = config["id"].as_str().unwrap();
    let r = app
        .call(Method::PATCH, &format!("/sso/{config_id}"), Some(allowing))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = idp
        .test_response(&[
            ("email", "carol@contoso.test"),
            ("sp", &sp),
            ("mode", "unsolicited"),
        ])
        .await
        .unwrap();
    let unsolicited = r["saml_response"].as_str().unwrap();
    let once = forger
        .post_cross_site(&acs_url, &[("SAMLResponse", unsolicited)])
        .await;
    assert_eq!(once.status, 303, "{}", once.body);
    let twice = forger
        .post_cross_site(&acs_url, &[("SAMLResponse", unsolicited)])
        .await;
    assert_eq!(twice.status, 400);
    assert!(twice.body.contains("Reference: replayed"), "{}", twice.body);
    assert_eq!(failures(&env, "replayed").await, 2);

    // An assertion consumer URL that is not one.
    let page = forger
        .post_cross_site(
            &format!("{}/saml/acs/{}", app.base, "0".repeat(32)),
            &[("SAMLResponse", "x")],
        )
        .await;
    assert_eq!(page.status, 404);
    // Nobody but carol ever got a session.
    let sessions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'LoginSucceeded'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(sessions, 1);
    env.cleanup().await.unwrap();
}

/// Who may log in: no user and auto-create off fails with the seed's reason; SSO switched off
/// in the login options fails; a locked user fails; an account that allows only SSO refuses
/// its users' passwords.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_logins_the_account_does_not_allow_are_refused_and_recorded() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let idp = idp_for(&app).await;
    configure(&app, &idp, false, false).await;

    let mut agent = Agent::new(&app);
    let acs = through_idp(&mut agent, &idp, &refs(&carol(""))).await;
    let page = agent.get(location(&acs)).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("There is no user with your email"));
    assert_eq!(failures(&env, "unknown_user").await, 1);
    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'UserRegistered'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(users, 1, "only the bootstrap administrator");

    // Carol made by hand, with the NameID as email: she logs in.
    let carol_id = app.create_user("carol@contoso.test").await;
    let mut agent = Agent::new(&app);
    let acs = through_idp(&mut agent, &idp, &refs(&carol(""))).await;
    let page = agent.get(location(&acs)).await;
    assert_eq!(location(&page), "/account", "{}", page.body);

    // Locked: refused.
    let lock = app
        .call(Method::POST, &format!("/users/{carol_id}/lock"), None)
        .await;
    assert_eq!(lock.status, 200, "{lock:?}");
    let mut agent = Agent::new(&app);
    let acs = through_idp(&mut agent, &idp, &refs(&carol(""))).await;
    let page = agent.get(location(&acs)).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("Reference: user_locked"));
    app.call(Method::POST, &format!("/users/{carol_id}/unlock"), None)
        .await;

    // Only SSO: the password is refused, SSO still works. SSO off: refused.
    let only_sso = json!({"password": false, "google": false, "github": false, "sso": true});
    app.call(Method::PUT, "/login-options", Some(only_sso))
        .await;
    let r = app
        .http
        .post(format!("{}/v1/login", app.base))
        .json(&json!({"login": "admin@acme.test", "password": "a-long-admin-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "a password login where only SSO is allowed"
    );
    let no_sso = json!({"password": true, "google": false, "github": false, "sso": false});
    app.call(Method::PUT, "/login-options", Some(no_sso)).await;
    let mut agent = Agent::new(&app);
    let acs = through_idp(&mut agent, &idp, &refs(&carol(""))).await;
    let page = agent.get(location(&acs)).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("Reference: method_not_allowed"));
    assert_eq!(failures(&env, "method_not_allowed").await, 1);
    env.cleanup().await.unwrap();
}

/// "Login with SSO": the email finds its one SP initiation URL; an email with none asks for
/// the URL, which must be one of ours. Shared SSO: the owner offers, the other account's
/// manager accepts, and a user in both chooses the account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_sso_and_shared_sso_with_a_choice_of_account() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let idp = idp_for(&app).await;
    let config = configure(&app, &idp, false, false).await;
    let config_id = config["id"].as_str().unwrap().to_string();
    app.create_user("jack@jack.test").await;

    let mut agent = Agent::new(&app);
    let token = agent.token("/login/sso").await;
    let found = agent
        .post(
            "/login/sso",
            &[("csrf", &token), ("email", "jack@jack.test")],
        )
        .await;
    let onward = |page: &Page| {
        page.headers
            .get("refresh")
            .map(|v| v.to_str().unwrap().trim_start_matches("0;url=").to_string())
            .unwrap_or_default()
    };
    assert_eq!(onward(&found), config["sp_entity_id"].as_str().unwrap());
    let unknown = agent
        .post(
            "/login/sso",
            &[("csrf", &token), ("email", "nobody@jack.test")],
        )
        .await;
    assert_eq!(unknown.status, 200);
    assert!(unknown.body.contains("name=\"sp_url\""), "{}", unknown.body);
    let typed = agent
        .post(
            "/login/sso",
            &[
                ("csrf", &token),
                ("email", "nobody@jack.test"),
                ("sp_url", &format!("{}{SP_URL}", app.base)),
            ],
        )
        .await;
    assert_eq!(onward(&typed), SP_URL);
    let wrong = agent
        .post(
            "/login/sso",
            &[
                ("csrf", &token),
                ("email", "x@jack.test"),
                ("sp_url", "https://evil.test/"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("value=\"https://evil.test/\""),
        "the typed URL is kept: {}",
        wrong.body
    );
    assert!(
        wrong.body.contains("f-sp_url-error") || wrong.body.contains("not an SP initiation URL")
    );
    let bad = agent
        .post("/login/sso", &[("csrf", &token), ("email", "not an email")])
        .await;
    assert_eq!(bad.status, 400);
    let forged = agent
        .post(
            "/login/sso",
            &[("csrf", "nope"), ("email", "jack@jack.test")],
        )
        .await;
    assert_eq!(forged.status, 403);

    // A second account, with its own manager, and jack in it too.
    let other = app
        .app
        .bootstrap(
            Name::parse("name", "Beta").unwrap(),
            Email::parse("admin@beta.test").unwrap(),
            None,
            Password::parse("another-long-password").unwrap(),
        )
        .await
        .unwrap();
    let other_key = secrecy::ExposeSecret::expose_secret(&other.api_key).to_string();
    let other_call = |method: Method, path: String, body: Option<Value>| {
        let mut req = app
            .http
            .request(
                method,
                format!("{}/v1/accounts/{}{path}", app.base, other.account_id),
            )
            .bearer_auth(&other_key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move { reply(req.send().await.unwrap()).await }
    };
    let r = other_call(
        Method::POST,
        "/users".into(),
        Some(json!({"email": "jack@jack.test"})),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let options = json!({"password": true, "google": false, "github": false, "sso": true});
    other_call(Method::PUT, "/login-options".into(), Some(options)).await;
    // Beta's manager cannot add itself without the owner's offer; the owner cannot add Beta
    // without Beta's manager.
    let share = format!("/sso/{config_id}/accounts/{}", other.account_id);
    other_call(Method::PUT, share.clone(), None)
        .await
        .assert_problem(404, "SSO-NOT-FOUND");
    let offered = app.call(Method::PUT, &share, None).await;
    assert_eq!(offered.status, 200, "{offered:?}");
    let mut agent = Agent::new(&app);
    let acs = through_idp(&mut agent, &idp, &[("email", "jack@jack.test")]).await;
    let page = agent.get(location(&acs)).await;
    assert_eq!(location(&page), "/account", "offered is not served yet");
    let accepted = other_call(Method::PUT, share.clone(), None).await;
    assert_eq!(accepted.status, 200, "{accepted:?}");

    // Jack is in both accounts now: he chooses.
    let mut agent = Agent::new(&app);
    let acs = through_idp(&mut agent, &idp, &[("email", "jack@jack.test")]).await;
    let page = agent.get(location(&acs)).await;
    assert_eq!(location(&page), "/login/saml/account", "{}", page.body);
    let choice = agent.get("/login/saml/account").await;
    assert!(choice.body.contains("Acme") && choice.body.contains("Beta"));
    let token = token_in(&choice.body);
    let outsider = Uuid::new_v4().to_string();
    let refused = agent
        .post(
            "/login/saml/account",
            &[("csrf", &token), ("account", &outsider)],
        )
        .await;
    assert_eq!(refused.status, 400);
    let beta = other.account_id.to_string();
    let chosen = agent
        .post(
            "/login/saml/account",
            &[("csrf", &token), ("account", &beta)],
        )
        .await;
    assert_eq!(location(&chosen), "/account", "{}", chosen.body);
    let session_account: String = sqlx::query_scalar(
        "SELECT u.payload -> 'UserRegistered' ->> 'account_id' FROM events l
           JOIN events u ON u.aggregate_id = l.aggregate_id AND u.event_type = 'UserRegistered'
          WHERE l.event_type = 'LoginSucceeded' ORDER BY l.global_seq DESC LIMIT 1",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(session_account, beta);

    // Beta gets a configuration of its own: jack's email now has two SP initiation URLs, and
    // "Login with SSO" asks which (the seed's jack@jack.com).
    let mut own = config_body(&idp, false, false);
    own["sp_slug"] = json!("beta-corp");
    let r = other_call(Method::POST, "/sso".into(), Some(own)).await;
    assert_eq!(r.status, 201, "{r:?}");
    let mut agent = Agent::new(&app);
    let token = agent.token("/login/sso").await;
    let asked = agent
        .post(
            "/login/sso",
            &[("csrf", &token), ("email", "jack@jack.test")],
        )
        .await;
    assert_eq!(asked.status, 200);
    assert!(asked.headers.get("refresh").is_none());
    assert!(asked.body.contains("name=\"sp_url\""), "{}", asked.body);
    env.cleanup().await.unwrap();
}

/// The IdP's metadata XML instead of typed fields: the real IdP's metadata fills the entity
/// ID, sign-on URL and certificate, and a login goes through; unreadable metadata and missing
/// fields are named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_imports_the_idps_metadata() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let idp = idp_for(&app).await;
    let xml = reqwest::get(format!("{}/idp/metadata", idp.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body = |extra: Value| {
        let mut b = json!({"sp_slug": "contoso", "auto_create_users": true,
            "auto_create_groups": false, "name_id_source": "email"});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let missing = app.call(Method::POST, "/sso", Some(body(json!({})))).await;
    missing.assert_problem(400, "VALIDATION");
    assert!(
        missing.body.to_string().contains("idp_entity_id"),
        "{missing:?}"
    );
    let junk = app
        .call(
            Method::POST,
            "/sso",
            Some(body(json!({"idp_metadata_xml": "<x/>"}))),
        )
        .await;
    junk.assert_problem(400, "VALIDATION");
    assert!(
        junk.body.to_string().contains("idp_metadata_xml"),
        "{junk:?}"
    );
    let r = app
        .call(
            Method::POST,
            "/sso",
            Some(body(json!({"idp_metadata_xml": xml}))),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["idp_entity_id"], json!(idp.entity_id));
    assert_eq!(r.body["idp_sso_url"], json!(idp.sso_url));
    let pem = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(
        pem(r.body["idp_certificates"][0].as_str().unwrap()),
        pem(&idp.certificate_pem)
    );
    let options = json!({"password": true, "google": false, "github": false, "sso": true});
    app.call(Method::PUT, "/login-options", Some(options)).await;
    let mut agent = Agent::new(&app);
    let acs = through_idp(&mut agent, &idp, &refs(&carol(""))).await;
    let page = agent.get(location(&acs)).await;
    assert_eq!(location(&page), "/account", "{}", page.body);
    env.cleanup().await.unwrap();
}

/// The email claim names no one: an IdP user whose NameID is theirs but whose email attribute
/// says the administrator's gets no session as the administrator, neither found by it nor
/// created over it. A user created with a claim different from the NameID is found again by the
/// NameID (linked at the first login). Arriving at the SP initiation URL from another site asks
/// first. A change of the IdP's certificate needs the other account's agreement again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_email_claim_finds_no_one_and_other_sites_and_changed_trust_ask_first() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let idp = idp_for(&app).await;
    let config = configure(&app, &idp, true, false).await;
    let config_id = config["id"].as_str().unwrap().to_string();

    let mut mallory = Agent::new(&app);
    let acs = through_idp(
        &mut mallory,
        &idp,
        &[
            ("email", "mallory@contoso.test"),
            ("email_claim", "admin@acme.test"),
        ],
    )
    .await;
    let page = mallory.get(location(&acs)).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("Reference: creation"), "{}", page.body);
    assert!(mallory.cookie("chronid_session").is_none());
    let admin_logins: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'LoginSucceeded'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(admin_logins, 0, "nobody logged in");

    // Nina's email at the IdP differs from her NameID: created with it, found by the NameID.
    for round in 0..2 {
        let mut nina = Agent::new(&app);
        let acs = through_idp(
            &mut nina,
            &idp,
            &[
                ("email", "n.smith@contoso.test"),
                ("email_claim", "nina@contoso.test"),
            ],
        )
        .await;
        let page = nina.get(location(&acs)).await;
        assert_eq!(location(&page), "/account", "round {round}: {}", page.body);
    }
    let ninas: Vec<String> = sqlx::query_scalar(
        "SELECT payload -> 'UserRegistered' ->> 'email' FROM events
          WHERE event_type = 'UserRegistered' AND payload -> 'UserRegistered' ->> 'source' = 'sso'",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert_eq!(ninas, ["nina@contoso.test"]);
    let linked: Value = sqlx::query_scalar(
        "SELECT payload -> 'ExternalIdentityLinked' FROM events WHERE event_type = 'ExternalIdentityLinked'",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(linked["provider"], "saml");
    assert_eq!(linked["subject"], "n.smith@contoso.test");

    // From another site: a page to confirm, and no request sent to the IdP yet.
    let requests = |env: &TestEnv| {
        let pool = env.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM saml_requests")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let before = requests(&env).await;
    let page = app
        .http
        .get(format!("{}{SP_URL}", app.base))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    assert!(body.contains(&format!("href=\"{SP_URL}\"")), "{body}");
    assert!(body.contains("Acme"), "{body}");
    assert_eq!(requests(&env).await, before);

    // Shared with Beta, then the owner changes the IdP's trust: Beta is offered again, not
    // served, until its manager agrees once more.
    let beta = app
        .app
        .bootstrap(
            Name::parse("name", "Beta").unwrap(),
            Email::parse("admin@beta.test").unwrap(),
            None,
            Password::parse("another-long-password").unwrap(),
        )
        .await
        .unwrap();
    let beta_key = secrecy::ExposeSecret::expose_secret(&beta.api_key).to_string();
    let share = format!(
        "{}/v1/accounts/{{account}}/sso/{config_id}/accounts/{}",
        app.base, beta.account_id
    );
    let offered = app
        .http
        .put(share.replace("{account}", &app.account_id.to_string()))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(offered.status(), 200);
    let accept = || {
        app.http
            .put(share.replace("{account}", &beta.account_id.to_string()))
            .bearer_auth(&beta_key)
            .send()
    };
    assert_eq!(accept().await.unwrap().status(), 200);
    let mut changed = config_body(&idp, true, false);
    changed["allow_idp_initiated"] = json!(true);
    let r = app
        .call(Method::PATCH, &format!("/sso/{config_id}"), Some(changed))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["accounts"], json!([app.account_id]));
    assert_eq!(accept().await.unwrap().status(), 200, "agreed again");
    env.cleanup().await.unwrap();
}

/// Sent twice at once: the same Response posted twice concurrently yields one ticket; the same
/// ticket presented twice concurrently by its browser opens one session. And a manager of
/// another account cannot offer someone else's configuration, accept it for a third account,
/// or take the owner off it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_replays_open_one_session_and_other_managers_cannot_share() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let idp = idp_for(&app).await;
    let config = configure(&app, &idp, true, false).await;
    let config_id = config["id"].as_str().unwrap().to_string();

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut agent = Agent::new(&app);
    let (acs, fields) = idp_answer(&mut agent, &idp, &refs(&carol(""))).await;
    let post = || client.post(&acs).form(&pairs(&fields)).send();
    let (a, b) = tokio::join!(post(), post());
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 400], "one ticket for one Response");
    // The ticket that was issued, presented twice at once by its browser.
    let issued = [a, b]
        .into_iter()
        .find_map(|r| {
            r.headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string())
        })
        .unwrap();
    let finish = format!("{}{issued}", app.base);
    let cookies: String = agent
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let get = || client.get(&finish).header("cookie", &cookies).send();
    let (a, b) = tokio::join!(get(), get());
    let mut to: Vec<String> = [a.unwrap(), b.unwrap()]
        .iter()
        .map(|r| {
            r.headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_else(|| r.status().to_string())
        })
        .collect();
    to.sort();
    assert_eq!(to[0], "/account", "{to:?}");
    assert_ne!(to[1], "/account", "{to:?}");
    let sessions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'LoginSucceeded'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(sessions, 1);

    // Beta's and Gamma's managers against Acme's configuration.
    let boot = |name: &str, email: &str| {
        let app = app.app.clone();
        let (name, email) = (name.to_string(), email.to_string());
        async move {
            let b = app
                .bootstrap(
                    Name::parse("name", &name).unwrap(),
                    Email::parse(&email).unwrap(),
                    None,
                    Password::parse("another-long-password").unwrap(),
                )
                .await
                .unwrap();
            (
                b.account_id,
                secrecy::ExposeSecret::expose_secret(&b.api_key).to_string(),
            )
        }
    };
    let (beta, beta_key) = boot("Beta", "admin@beta.test").await;
    let (gamma, _) = boot("Gamma", "admin@gamma.test").await;
    let call = |key: &str, method: Method, account: Uuid, other: Uuid| {
        let req = app
            .http
            .request(
                method,
                format!(
                    "{}/v1/accounts/{account}/sso/{config_id}/accounts/{other}",
                    app.base
                ),
            )
            .bearer_auth(key);
        async move { reply(req.send().await.unwrap()).await }
    };
    // Offering for Gamma from Beta: Beta does not own it.
    call(&beta_key, Method::PUT, beta, gamma)
        .await
        .assert_problem(403, "AUTH-FORBIDDEN");
    // Beta's key on Acme's path: not Acme's manager.
    call(&beta_key, Method::PUT, app.account_id, beta)
        .await
        .assert_problem(403, "AUTH-FORBIDDEN");
    // Accepting for Beta without an offer.
    call(&beta_key, Method::PUT, beta, beta)
        .await
        .assert_problem(404, "SSO-NOT-FOUND");
    // Offered and accepted, Beta still cannot take Acme (the owner) off it.
    let offered = call(&app.api_key, Method::PUT, app.account_id, beta).await;
    assert_eq!(offered.status, 200, "{offered:?}");
    assert_eq!(call(&beta_key, Method::PUT, beta, beta).await.status, 200);
    call(&beta_key, Method::DELETE, beta, app.account_id)
        .await
        .assert_problem(403, "AUTH-FORBIDDEN");
    // Beta may leave.
    assert_eq!(
        call(&beta_key, Method::DELETE, beta, beta).await.status,
        200
    );
    env.cleanup().await.unwrap();
}
