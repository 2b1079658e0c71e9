use super::*;

#[test]
fn email_parse_accepts_common_addresses_and_keys_case_insensitively() {
    let e = Email::parse(" Ana.Lopez+x@Example.COM ").unwrap();
    assert_eq!(e.as_str(), "Ana.Lopez+x@Example.COM");
    assert_eq!(e.key(), "ana.lopez+x@example.com");
}

#[test]
fn email_parse_rejects_malformed_addresses() {
    for bad in [
        "",
        "a",
        "a@b",
        "@example.com",
        "a@@example.com",
        "a b@example.com",
        "a..b@example.com",
        "a@-x.com",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn username_parse_rejects_bad_characters() {
    assert!(Username::parse("ana_lopez-1").is_ok());
    for bad in ["ab", "_ana", "ana lopez", "ana@x"] {
        assert!(Username::parse(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn phone_parse_normalises_to_e164() {
    assert_eq!(
        Phone::parse("+1 (415) 555-0100").unwrap().as_str(),
        "+14155550100"
    );
    assert!(Phone::parse("4155550100").is_err());
    assert!(Phone::parse("+0123").is_err());
}

#[test]
fn language_parse_normalises_case() {
    assert_eq!(Language::parse("pt_br").unwrap().as_str(), "pt-BR");
    assert!(Language::parse("english").is_err());
    assert_eq!(
        TimeZone::parse(" Europe/Zagreb ").unwrap().as_str(),
        "Europe/Zagreb"
    );
    assert_eq!(TimeZone::parse("UTC").unwrap(), TimeZone::utc());
    assert!(TimeZone::parse("Mars/Olympus").is_err());
    assert!(TimeZone::parse("").is_err());
}

#[test]
fn security_policy_rejects_values_out_of_range() {
    assert!(SecurityPolicy::new(
        Some(14),
        5,
        None,
        TwoFactorMode::Off,
        None,
        LockoutMode::Account
    )
    .is_err());
    assert!(SecurityPolicy::new(
        Some(366),
        5,
        None,
        TwoFactorMode::Off,
        None,
        LockoutMode::Account
    )
    .is_err());
    assert!(SecurityPolicy::new(
        None,
        0,
        None,
        TwoFactorMode::Off,
        None,
        LockoutMode::Account
    )
    .is_err());
    assert!(SecurityPolicy::new(
        None,
        101,
        None,
        TwoFactorMode::Off,
        None,
        LockoutMode::Account
    )
    .is_err());
    assert!(SecurityPolicy::new(
        None,
        5,
        Some(0),
        TwoFactorMode::Off,
        None,
        LockoutMode::Account
    )
    .is_err());
    assert!(SecurityPolicy::new(
        Some(15),
        100,
        Some(3650),
        TwoFactorMode::EveryLogin,
        None,
        LockoutMode::Account
    )
    .is_ok());
}

#[test]
fn logo_larger_than_150_px_is_refused() {
    assert!(Logo::new("image/png", 150, 150, "ab".into()).is_ok());
    assert!(Logo::new("image/png", 151, 20, "ab".into()).is_err());
}

#[test]
fn password_debug_never_shows_the_value() {
    let p = Password::parse("correct horse battery").unwrap();
    assert!(!format!("{p:?}").contains("horse"));
}

#[test]
fn http_url_parse_accepts_absolute_http_urls_and_lowercases_scheme_and_host() {
    let u = HttpUrl::parse("url", " HTTPS://IdP.Example.com:8443/saml/SSO?x=1#f ").unwrap();
    assert_eq!(u.as_str(), "https://idp.example.com:8443/saml/SSO?x=1#f");
    assert!(u.is_https());
    for ok in [
        "http://localhost:8080",
        "https://10.0.0.1/sso",
        "https://[::1]:8443/",
        "https://a.b",
    ] {
        assert!(HttpUrl::parse("url", ok).is_ok(), "{ok} refused");
    }
}

#[test]
fn http_url_parse_rejects_other_schemes_missing_hosts_and_credentials() {
    for bad in [
        "",
        "idp.example.com/sso",
        "ftp://idp.example.com",
        "javascript://x.com/%0aalert(1)",
        "https://",
        "https:///path",
        "https://user:pw@idp.example.com",
        "https://idp.example.com:0",
        "https://idp.example.com:99999",
        "https://idp.example.com:",
        "https://idp..example.com",
        "https://-idp.example.com",
        "https://[::1",
        "https://idp.example.com/a b",
        "https://idp.example.com/\"<script>",
        "https://bücher.example",
    ] {
        assert!(HttpUrl::parse("url", bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn entity_id_parse_bounds_length_and_refuses_whitespace() {
    assert!(EntityId::parse("sp_entity_id", "https://sp.example.com/saml/contoso").is_ok());
    assert!(EntityId::parse("sp_entity_id", "  ").is_err());
    assert!(EntityId::parse("sp_entity_id", "a b").is_err());
    assert!(EntityId::parse("sp_entity_id", &"x".repeat(1024)).is_ok());
    assert!(EntityId::parse("sp_entity_id", &"x".repeat(1025)).is_err());
}

#[test]
fn acs_path_parse_accepts_only_url_safe_random_segments() {
    assert!(AcsPath::parse("Zm9vYmFyYmF6cXV4LV8x").is_ok());
    for bad in [
        "short",
        "has/slash/in/the/path",
        "has space in the path!",
        &"a".repeat(129),
    ] {
        assert!(AcsPath::parse(bad).is_err(), "{bad} accepted");
    }
}

const CERT_BODY: &str = "MIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGVGb3JUZXN0czAKBggqhkjOPQQDAjAS";

#[test]
fn certificate_parse_accepts_a_pem_block_and_normalises_it() {
    let raw = format!(
        "\r\n-----BEGIN CERTIFICATE-----\r\n{}\r\n{}\r\n-----END CERTIFICATE-----\r\n",
        &CERT_BODY[..30],
        &CERT_BODY[30..]
    );
    let c = Certificate::parse(&raw).unwrap();
    assert_eq!(
        c.pem(),
        format!("-----BEGIN CERTIFICATE-----\n{CERT_BODY}\n-----END CERTIFICATE-----")
    );
    assert_eq!(c.der().first(), Some(&0x30));
    assert_eq!(c.der().len(), CERT_BODY.len() / 4 * 3);
    let long = "MII".to_string() + &"A".repeat(97);
    let c = Certificate::parse(&format!(
        "-----BEGIN CERTIFICATE-----{long}-----END CERTIFICATE-----"
    ))
    .unwrap();
    assert_eq!(c.pem().lines().nth(1).unwrap().len(), 64);
    assert_eq!(c.pem().lines().nth(2).unwrap().len(), 36);
}

#[test]
fn certificate_parse_rejects_other_blocks_and_bad_base64() {
    let pem =
        |body: &str| format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----");
    for bad in [
        String::new(),
        CERT_BODY.to_string(),
        format!("-----BEGIN PUBLIC KEY-----\n{CERT_BODY}\n-----END PUBLIC KEY-----"),
        pem(""),
        pem("MIIB*zCC"),
        pem("MIIBszC"),
        pem("MA=A"),
        pem("MB=="),
        pem("QUJD"),
        format!("{}\n{}", pem(CERT_BODY), pem(CERT_BODY)),
    ] {
        assert!(Certificate::parse(&bad).is_err(), "{bad} accepted");
    }
    assert!(Certificate::parse(&pem("MA==")).is_ok());
}

#[test]
fn certificates_new_deduplicates_and_bounds_the_count() {
    let a = Certificate::parse("-----BEGIN CERTIFICATE-----MA==-----END CERTIFICATE-----").unwrap();
    let b = Certificate::parse("-----BEGIN CERTIFICATE-----MAA=-----END CERTIFICATE-----").unwrap();
    assert_eq!(
        Certificates::new(vec![a.clone(), a.clone(), b.clone()])
            .unwrap()
            .iter()
            .count(),
        2
    );
    assert!(Certificates::new(vec![]).is_err());
    let many: Vec<Certificate> = ["MAA=", "MAE=", "MAI=", "MAM=", "MAQ="]
        .iter()
        .map(|body| {
            Certificate::parse(&format!(
                "-----BEGIN CERTIFICATE-----{body}-----END CERTIFICATE-----"
            ))
            .unwrap()
        })
        .collect();
    assert!(Certificates::new(many).is_err());
}

#[test]
fn user_agent_new_strips_control_characters_and_truncates() {
    assert_eq!(
        UserAgent::new(" Mozilla/5.0\n ").unwrap().as_str(),
        "Mozilla/5.0"
    );
    assert!(UserAgent::new(" \t ").is_none());
    assert_eq!(
        UserAgent::new(&"x".repeat(600)).unwrap().as_str().len(),
        UserAgent::MAX_LEN
    );
}

#[test]
fn an_sp_slug_is_a_short_lowercase_name_and_is_read_back_from_its_entity_id() {
    assert_eq!(
        SpSlug::parse(" Contoso-EU ").unwrap().as_str(),
        "contoso-eu"
    );
    for bad in [
        "",
        "a",
        "-x",
        "x-",
        "with space",
        "ünï",
        "a/b",
        &"x".repeat(64),
        "acs",
        "Finish",
        "account",
        "confirm",
    ] {
        assert!(SpSlug::parse(bad).is_err(), "{bad:?} accepted");
    }
    assert_eq!(
        SpSlug::of_entity_id("https://id.acme.test/login/saml/contoso/")
            .map(|s| s.as_str().to_string()),
        Some("contoso".to_string())
    );
    assert_eq!(
        SpSlug::of_entity_id("https://id.acme.test/other/contoso/"),
        None
    );
    assert_eq!(SpSlug::of_entity_id("urn:contoso"), None);
}

#[test]
fn a_host_name_is_not_an_address_nor_a_single_label() {
    assert_eq!(
        Hostname::parse("Login.Acme.test.").unwrap().as_str(),
        "login.acme.test"
    );
    for bad in ["10.0.0.5", "localhost", "a..b", "-a.b", "a.b-"] {
        assert!(Hostname::parse(bad).is_err(), "{bad:?} accepted");
    }
}
