//! SSO configurations through the API: the URLs a configuration is given, the slug unique
//! across the deployment, IdP certificates checked before they are trusted, updates, deletes.

use chronid_tests::TestEnv;
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;

/// A client that shows each redirect rather than following it.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn config(slug: &str, certificates: Vec<String>) -> Value {
    json!({
        "idp_entity_id": "https://sts.contoso.test/adfs",
        "idp_certificates": certificates,
        "idp_sso_url": "https://sts.contoso.test/adfs/ls/",
        "logout_url": "https://sts.contoso.test/adfs/ls/?wa=wsignout1.0",
        "sp_slug": slug,
        "auto_create_users": true,
        "auto_create_groups": true,
        "name_id_source": "email"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_gets_its_urls_a_unique_slug_and_only_certificates_it_can_trust() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let good = certificate(2048, -1, 365);

    let r = app
        .call(
            Method::POST,
            "/sso",
            Some(config("contoso", vec![good.clone()])),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_string();
    let public = app.base.as_str();
    assert_eq!(
        r.body["sp_entity_id"],
        format!("{public}/login/saml/contoso/")
    );
    assert_eq!(r.body["sp_initiation_url"], r.body["sp_entity_id"]);
    assert_eq!(
        r.body["metadata_url"],
        format!("{public}/saml/contoso/metadata")
    );
    let acs = r.body["acs_url"].as_str().unwrap();
    let random = acs.strip_prefix(&format!("{public}/saml/acs/")).unwrap();
    assert_eq!(random.len(), 32, "{acs}");
    assert_eq!(r.body["allow_idp_initiated"], false);
    assert_eq!(r.body["allow_sha1"], false);
    assert_eq!(r.body["owner"], app.account_id.to_string());

    // The metadata an IdP's administrator imports, at the metadata URL (public).
    let metadata = app
        .http
        .get(format!("{}/saml/contoso/metadata", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(metadata.status(), 200);
    assert_eq!(
        metadata.headers()["content-type"],
        "application/samlmetadata+xml"
    );
    let xml = metadata.text().await.unwrap();
    assert!(
        xml.contains(&format!(r#"entityID="{public}/login/saml/contoso/""#)),
        "{xml}"
    );
    assert!(xml.contains(&format!(r#"Location="{acs}""#)), "{xml}");
    assert!(
        xml.contains("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"),
        "{xml}"
    );
    assert!(xml.contains("nameid-format:emailAddress"), "{xml}");
    for unknown in ["/saml/fabrikam/metadata", "/saml/-x-/metadata"] {
        let r = app
            .http
            .get(format!("{}{unknown}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{unknown}");
    }

    // The slug is the deployment's: taken once.
    app.call(
        Method::POST,
        "/sso",
        Some(config("Contoso", vec![good.clone()])),
    )
    .await
    .assert_problem(409, "SSO-SLUG-TAKEN");

    // Certificates it cannot trust, each named.
    for (certificates, says) in [
        (vec![certificate(2048, -30, -1)], "expired"),
        (vec![certificate(2048, 2, 30)], "not valid before"),
        (
            vec![good.clone(), certificate(1024, -1, 30)],
            "certificate 2: has an RSA key of 1024 bits",
        ),
        (vec![], "1 to 4"),
    ] {
        let r = app
            .call(Method::POST, "/sso", Some(config("fabrikam", certificates)))
            .await;
        r.assert_problem(400, "VALIDATION");
        assert_eq!(r.body["field"], "idp_certificates", "{r:?}");
        assert!(
            r.body["detail"].as_str().unwrap().contains(says),
            "{says}: {r:?}"
        );
    }
    let mut bad = config("fabrikam", vec![good.clone()]);
    bad["sp_slug"] = json!("-no-");
    let r = app.call(Method::POST, "/sso", Some(bad)).await;
    r.assert_problem(400, "VALIDATION");
    assert_eq!(r.body["field"], "sp_slug");

    // Listed; moved to another slug, which frees the first.
    let list = app.call(Method::GET, "/sso", None).await;
    assert_eq!(
        list.body["configs"].as_array().unwrap().len(),
        1,
        "{list:?}"
    );
    let mut moved = config("contoso-eu", vec![good.clone()]);
    moved["allow_idp_initiated"] = json!(true);
    let r = app
        .call(Method::PATCH, &format!("/sso/{id}"), Some(moved))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["sp_entity_id"],
        format!("{public}/login/saml/contoso-eu/")
    );
    assert_eq!(r.body["acs_url"], acs, "the ACS URL stays");
    assert_eq!(r.body["allow_idp_initiated"], true);
    let second = app
        .call(
            Method::POST,
            "/sso",
            Some(config("contoso", vec![good.clone()])),
        )
        .await;
    assert_eq!(second.status, 201, "{second:?}");

    // Another account sees none of them.
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
    let key = secrecy::ExposeSecret::expose_secret(&other.api_key).to_string();
    app.call_as(&key, Method::GET, "/sso", None)
        .await
        .assert_problem(403, "AUTH-FORBIDDEN");
    app.call_as(&key, Method::DELETE, &format!("/sso/{id}"), None)
        .await
        .assert_problem(403, "AUTH-FORBIDDEN");

    // Deleted: gone from the list, its slug free again.
    let r = app.call(Method::DELETE, &format!("/sso/{id}"), None).await;
    assert_eq!(r.status, 200, "{r:?}");
    let list = app.call(Method::GET, "/sso", None).await;
    let slugs: Vec<&str> = list.body["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sp_slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["contoso"]);
    let again = app
        .call(Method::POST, "/sso", Some(config("contoso-eu", vec![good])))
        .await;
    assert_eq!(again.status, 201, "{again:?}");
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sp_initiation_url_sends_the_browser_to_the_idp_with_a_remembered_request() {
    use base64::Engine;
    use std::io::Read;
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let r = app
        .call(
            Method::POST,
            "/sso",
            Some(config("contoso", vec![certificate(2048, -1, 30)])),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let config_id = r.body["id"].as_str().unwrap().to_string();
    let acs = r.body["acs_url"].as_str().unwrap().to_string();
    let browser = no_redirects();

    let to_slash = browser
        .get(format!("{}/login/saml/contoso", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(to_slash.status(), 303);
    assert_eq!(to_slash.headers()["location"], "/login/saml/contoso/");

    let mut ids = Vec::new();
    let mut cookies = Vec::new();
    for _ in 0..2 {
        let start = browser
            .get(format!("{}/login/saml/contoso/", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 303);
        let set = start.headers()["set-cookie"].to_str().unwrap().to_string();
        let value = set.split(';').next().unwrap();
        cookies.push(value.trim_start_matches("chronid_browser=").to_string());
        assert!(start.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("chronid_browser="));
        let location = reqwest::Url::parse(start.headers()["location"].to_str().unwrap()).unwrap();
        assert_eq!(
            format!(
                "{}://{}{}",
                location.scheme(),
                location.host_str().unwrap(),
                location.path()
            ),
            "https://sts.contoso.test/adfs/ls/"
        );
        let encoded = location
            .query_pairs()
            .find(|(k, _)| k == "SAMLRequest")
            .map(|(_, v)| v.into_owned())
            .expect("a SAMLRequest");
        let deflated = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(&deflated[..])
            .read_to_string(&mut xml)
            .unwrap();
        assert!(
            xml.contains(&format!(r#"AssertionConsumerServiceURL="{acs}""#)),
            "{xml}"
        );
        assert!(
            xml.contains(&format!("{}/login/saml/contoso/", app.base)),
            "the Issuer: {xml}"
        );
        let id = xml
            .split(r#"ID=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        assert!(id.starts_with('_') && id.len() == 33, "{id}");
        // Remembered for the Response, with a digest of the browser, not its id.
        let (config, used, digest): (uuid::Uuid, Option<chrono::DateTime<chrono::Utc>>, String) =
            sqlx::query_as("SELECT config_id, used_at, browser_digest FROM saml_requests WHERE request_id = $1")
                .bind(&id)
                .fetch_one(&env.pool)
                .await
                .unwrap();
        assert_eq!(config.to_string(), config_id);
        assert!(used.is_none());
        assert_eq!(digest.len(), 64);
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1], "a new request each time");

    // Each remembered with the digest of the browser it was sent from (whose ticket the
    // Response becomes: `sso_login` tests take it once, from that browser only).
    let csrf = chronid_web::csrf::Csrf::from_secret(chronid_tests::server::TEST_SECRET);
    for (id, cookie) in ids.iter().zip(&cookies) {
        let stored: String =
            sqlx::query_scalar("SELECT browser_digest FROM saml_requests WHERE request_id = $1")
                .bind(id)
                .fetch_one(&env.pool)
                .await
                .unwrap();
        assert_eq!(stored, csrf.browser_digest(cookie));
    }
    assert_ne!(
        csrf.browser_digest(&cookies[0]),
        csrf.browser_digest(&cookies[1])
    );
    let unknown = browser
        .get(format!("{}/login/saml/fabrikam/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    env.cleanup().await.unwrap();
}

/// The AuthnRequest of the SP initiation URL, taken by a real IdP (pysaml2): it finds our
/// metadata, accepts the request, and offers to log in for our assertion consumer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_idp_accepts_the_authn_request_of_the_sp_initiation_url() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let idp =
        chronid_tests::peers::SamlIdp::start(&[format!("{}/saml/contoso/metadata", app.base)])
            .await
            .unwrap();
    let mut body = config("contoso", vec![idp.certificate_pem.clone()]);
    body["idp_entity_id"] = json!(idp.entity_id);
    body["idp_sso_url"] = json!(idp.sso_url);
    let r = app.call(Method::POST, "/sso", Some(body)).await;
    assert_eq!(r.status, 201, "{r:?}");
    let acs = r.body["acs_url"].as_str().unwrap().to_string();

    let browser = no_redirects();
    let start = browser
        .get(format!("{}/login/saml/contoso/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303);
    let location = start.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&idp.sso_url), "{location}");
    let login = browser.get(&location).send().await.unwrap();
    let status = login.status();
    let page = login.text().await.unwrap();
    assert_eq!(status, 200, "{page}");
    // The IdP's login form carries our request's id and our assertion consumer.
    let request_id: String = sqlx::query_scalar("SELECT request_id FROM saml_requests")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert!(
        page.contains(&format!(r#"name="request_id" value="{request_id}""#)),
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"name="acs_url" value="{acs}""#)),
        "{page}"
    );
    env.cleanup().await.unwrap();
}

/// The attack catalogue against the Response check, with responses a real IdP (pysaml2 and
/// xmlsec1) built and signed: each refused for its reason, the valid one taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_response_check_takes_a_valid_response_and_refuses_every_forgery() {
    use base64::Engine;
    use chronid_saml::response::{check, Expected, Refusal};
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let idp =
        chronid_tests::peers::SamlIdp::start(&[format!("{}/saml/contoso/metadata", app.base)])
            .await
            .unwrap();
    let mut body = config("contoso", vec![idp.certificate_pem.clone()]);
    body["idp_entity_id"] = json!(idp.entity_id);
    body["idp_sso_url"] = json!(idp.sso_url);
    let r = app.call(Method::POST, "/sso", Some(body)).await;
    assert_eq!(r.status, 201, "{r:?}");
    let sp_entity_id = r.body["sp_entity_id"].as_str().unwrap().to_string();
    let acs_url = r.body["acs_url"].as_str().unwrap().to_string();
    let certificate = chronid_domain::values::Certificate::parse(&idp.certificate_pem)
        .unwrap()
        .der();
    let certificates = vec![certificate];
    let requests = vec!["_req1".to_string()];
    let expected = |requests: &'static [String]| Expected {
        idp_entity_id: &idp.entity_id,
        certificates: &certificates,
        sp_entity_id: &sp_entity_id,
        acs_url: &acs_url,
        request_ids: requests,
        allow_idp_initiated: false,
        allow_sha1: false,
        now: chrono::Utc::now(),
    };
    let requests: &'static [String] = Box::leak(requests.into_boxed_slice());
    let response = |mode: &'static str, in_response_to: &'static str| {
        let idp = &idp;
        let sp = sp_entity_id.clone();
        async move {
            let r = idp
                .test_response(&[
                    ("email", "carol@contoso.test"),
                    ("given_name", "Carol"),
                    ("surname", "Danvers"),
                    ("groups", "ops,admins"),
                    ("sp", &sp),
                    ("in_response_to", in_response_to),
                    ("mode", mode),
                ])
                .await
                .unwrap();
            r["saml_response"].as_str().unwrap().to_string()
        }
    };

    // The valid response, for our request.
    let valid = response("valid", "_req1").await;
    let checked = check(&valid, &expected(requests)).unwrap();
    assert_eq!(checked.name_id, "carol@contoso.test");
    assert_eq!(checked.in_response_to.as_deref(), Some("_req1"));
    let groups = &checked.attributes["http://schemas.xmlsoap.org/claims/Group"];
    assert_eq!(groups, &vec!["ops".to_string(), "admins".to_string()]);
    assert!(checked
        .attributes
        .get("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname")
        .is_some_and(|v| v == &vec!["Carol".to_string()]));
    // ... but not from a browser without that request.
    assert_eq!(check(&valid, &expected(&[])), Err(Refusal::UnknownRequest));
    // (Its assertion is accepted once across nodes when the consumer takes it: the replay
    // cases of `sso_login::the_assertion_consumer_refuses_and_records_every_attack`.)

    for (mode, refusal) in [
        ("unsigned", Refusal::Signature),
        ("other_key", Refusal::Signature),
        ("sha1", Refusal::WeakAlgorithm("SHA-1")),
        ("expired", Refusal::Expired),
        ("not_yet_valid", Refusal::NotYetValid),
        ("wrong_audience", Refusal::Audience),
        ("wrong_destination", Refusal::Destination),
        ("unsolicited", Refusal::Unsolicited),
    ] {
        let forged = response(mode, if mode == "unsolicited" { "" } else { "_req1" }).await;
        assert_eq!(check(&forged, &expected(requests)), Err(refusal), "{mode}");
    }
    // What the configuration may opt in to.
    let sha1 = response("sha1", "_req1").await;
    let mut allowing = expected(requests);
    allowing.allow_sha1 = true;
    assert!(check(&sha1, &allowing).is_ok());
    let unsolicited = response("unsolicited", "").await;
    let mut allowing = expected(requests);
    allowing.allow_idp_initiated = true;
    assert_eq!(check(&unsolicited, &allowing).unwrap().in_response_to, None);

    // Edits of the valid, signed document.
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(&valid)
            .unwrap(),
    )
    .unwrap();
    let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    // A comment splitting the NameID keeps the signature valid (comments are not signed).
    let commented = xml.replacen(
        "carol@contoso.test<",
        "carol@contoso.test<!---->.evil.test<",
        1,
    );
    assert_ne!(commented, xml);
    assert_eq!(
        check(&encode(&commented), &expected(requests)),
        Err(Refusal::Comments)
    );
    // Wrapping: a second, unsigned assertion for someone else beside the signed one.
    let start = xml
        .find(":Assertion ")
        .map(|i| xml[..i].rfind('<').unwrap())
        .unwrap();
    let name = xml[start + 1..]
        .split(|c: char| c.is_whitespace() || c == '>')
        .next()
        .unwrap()
        .to_string();
    let close = format!("</{name}>");
    let end = xml.find(&close).unwrap() + close.len();
    let mut evil = xml[start..end].replace("carol@contoso.test", "admin@contoso.test");
    // The copy loses its signature (whatever its prefix), as an attacker's would not have one.
    let sig = evil.find(":Signature").unwrap();
    let open = evil[..sig].rfind('<').unwrap();
    let close = format!("</{}:Signature>", &evil[open + 1..sig]);
    let sig_end = evil.find(&close).unwrap() + close.len();
    evil.replace_range(open..sig_end, "");
    let id_at = evil.find(" ID=\"").unwrap() + 5;
    evil.insert_str(id_at, "evil-");
    let wrapped = format!("{}{}{}", &xml[..start], evil, &xml[start..]);
    assert_eq!(
        check(&encode(&wrapped), &expected(requests)),
        Err(Refusal::AssertionCount)
    );
    // A Response without a Destination (the first one in the document is the Response's).
    let destination_at = xml.find(" Destination=\"").unwrap();
    let value_end = xml[destination_at + 14..].find('"').unwrap() + destination_at + 15;
    let without = format!("{}{}", &xml[..destination_at], &xml[value_end..]);
    assert_eq!(
        check(&encode(&without), &expected(requests)),
        Err(Refusal::Destination)
    );
    // Garbage.
    assert_eq!(
        check("not base64!", &expected(requests)),
        Err(Refusal::Encoding)
    );
    env.cleanup().await.unwrap();
}
