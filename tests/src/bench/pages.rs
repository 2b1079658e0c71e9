//! `pages`: what the login pages cost.
//!
//! - time to first byte of `GET /login` (a branded host name, so the account's logo and theme
//!   are looked up too), p50, beside `GET /health` over the same kept-alive connection, in
//!   alternating rounds;
//! - the weight of the login page with its stylesheet and a 150 x 150 logo;
//! - a whole login in a real browser (page load, submit, the account page shown), p50, beside
//!   the same login through the JSON API;
//! - the console's audit page over 1,000,000 entries with a text filter, p95, beside the same
//!   query through `GET /v1/accounts/{a}/audit`, alternating.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use chronid_tests::browser::Browser;
use chronid_tests::server::spawn_app;
use chronid_tests::TestEnv;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::json;

use crate::{print, Figure};

const PASSWORD: &str = "a long enough password";
const HOST: &str = "login.bench.test";

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(i).copied().unwrap_or(0.0)
}

/// A 150 x 150 logo with some detail (a gradient and a ring), as a real one has.
fn logo() -> anyhow::Result<Vec<u8>> {
    let side = 150u32;
    let mut pixels = Vec::with_capacity((side * side * 4) as usize);
    for y in 0..side {
        for x in 0..side {
            let (dx, dy) = (x as f64 - 75.0, y as f64 - 75.0);
            let ring = ((dx * dx + dy * dy).sqrt() - 50.0).abs() < 8.0;
            let (r, g, b) = if ring {
                (20, 60, 200)
            } else {
                ((x * 255 / side) as u8, (y * 255 / side) as u8, 128)
            };
            pixels.extend_from_slice(&[r, g, b, 255]);
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header()?.write_image_data(&pixels)?;
    }
    Ok(out)
}

pub async fn pages_bench(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let app = spawn_app(env).await?;
    let http = reqwest::Client::new();
    let put = http
        .put(app.url("/logo"))
        .bearer_auth(&app.api_key)
        .header("content-type", "image/png")
        .body(logo()?)
        .send()
        .await?;
    if !put.status().is_success() {
        bail!("logo upload: {}", put.text().await?);
    }
    let custom = http
        .put(app.url("/customization"))
        .bearer_auth(&app.api_key)
        .json(&json!({"hostname": HOST, "color_scheme": "system"}))
        .send()
        .await?;
    if !custom.status().is_success() {
        bail!("customization: {}", custom.text().await?);
    }
    let created = http
        .post(app.url("/users"))
        .bearer_auth(&app.api_key)
        .json(&json!({"email": "page@acme.test", "password": PASSWORD}))
        .send()
        .await?;
    if created.status() != 201 {
        bail!("user: {}", created.text().await?);
    }

    // Time to first byte over one kept-alive connection.
    let addr = app.base.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let (rounds, per_round) = if quick { (5, 40) } else { (20, 100) };
    let (mut page, mut health) = (Vec::new(), Vec::new());
    let mut page_bytes = 0usize;
    for _ in 0..rounds {
        for (path, samples) in [("/login", &mut page), ("/health", &mut health)] {
            for _ in 0..per_round {
                let request = hyper::Request::get(path)
                    .header("host", HOST)
                    .body(Full::new(Bytes::new()))?;
                sender.ready().await?;
                let started = Instant::now();
                let response = sender.send_request(request).await?;
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
                if response.status() != 200 {
                    bail!("GET {path} answered {}", response.status());
                }
                let body = response.into_body().collect().await?.to_bytes();
                if path == "/login" {
                    page_bytes = body.len();
                }
            }
        }
    }
    let (p50_page, p50_health) = (percentile(&mut page, 0.5), percentile(&mut health, 0.5));
    print(Figure {
        scenario: "pages",
        figure: "login_page_ttfb_p50",
        params: json!({"requests": page.len(), "host": "branded (logo and theme looked up)", "connection": "one, kept alive"}),
        value: p50_page,
        unit: "ms",
        reference: "health_ttfb_p50",
        reference_value: p50_health,
    });

    // The page's weight with what it loads.
    let html = http
        .get(format!("{}/login", app.base))
        .header("host", HOST)
        .send()
        .await?
        .text()
        .await?;
    let find = |prefix: &str| -> anyhow::Result<String> {
        let at = html
            .find(prefix)
            .with_context(|| format!("no {prefix} in the login page"))?;
        Ok(html[at + prefix.len()..]
            .split('"')
            .next()
            .unwrap_or("")
            .replace("&amp;", "&"))
    };
    let css = http
        .get(format!(
            "{}{}",
            app.base,
            find("rel=\"stylesheet\" href=\"")?
        ))
        .send()
        .await?
        .bytes()
        .await?;
    let logo = http
        .get(format!("{}{}", app.base, find("<img src=\"")?))
        .send()
        .await?
        .bytes()
        .await?;
    let total = html.len() + css.len() + logo.len();
    print(Figure {
        scenario: "pages",
        figure: "login_page_weight",
        params: json!({"html": html.len(), "html_over_keepalive": page_bytes, "css": css.len(), "logo_150px": logo.len()}),
        value: total as f64 / 1024.0,
        unit: "KiB",
        reference: "goal_kib",
        reference_value: 30.0,
    });

    // A whole login in the browser against the same login through the JSON API.
    let browser = Browser::start(&[]).await?;
    let login_url = format!("{}/login", app.base);
    let logins = if quick { 5 } else { 15 };
    let (mut in_browser, mut wall, mut by_api) = (Vec::new(), Vec::new(), Vec::new());
    // The browser's own account of a page: from the start of its navigation (for the account
    // page, the form's POST and its redirect) to the end of its load event.
    let navigation = "const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime;";
    for _ in 0..logins {
        browser.client.delete_all_cookies().await?;
        let started = Instant::now();
        browser.goto(&login_url).await?;
        let login_page = browser
            .client
            .execute(navigation, vec![])
            .await?
            .as_f64()
            .unwrap_or(0.0);
        browser.fill("input[name=login]", "page@acme.test").await?;
        browser.fill("input[name=password]", PASSWORD).await?;
        browser.click("form[action='/login'] button").await?;
        browser.wait_for_path("/account").await?;
        let account_page = browser
            .client
            .execute(navigation, vec![])
            .await?
            .as_f64()
            .unwrap_or(0.0);
        wall.push(started.elapsed().as_secs_f64() * 1000.0);
        in_browser.push(login_page + account_page);

        let started = Instant::now();
        let r = http
            .post(format!("{}/v1/login", app.base))
            .json(&json!({"login": "page@acme.test", "password": PASSWORD}))
            .send()
            .await?;
        if r.status() != 200 {
            bail!("API login: {}", r.text().await?);
        }
        r.bytes().await?;
        by_api.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    browser.close().await;
    print(Figure {
        scenario: "pages",
        figure: "browser_login_p50",
        params: json!({"logins": logins, "steps": "load /login (its navigation), then submit -> 303 -> /account loaded (its navigation), by the browser's Navigation Timing",
            "hashing": "test parameters (cheap), for both",
            "wall_clock_p50_ms_with_webdriver_typing": (percentile(&mut wall, 0.5) * 10.0).round() / 10.0}),
        value: percentile(&mut in_browser, 0.5),
        unit: "ms",
        reference: "api_login_p50",
        reference_value: percentile(&mut by_api, 0.5),
    });
    console_audit(quick).await
}

/// The cookies a response sets, as `name=value`, added to `jar` (a cookie set again replaces
/// the one kept).
fn keep_cookies(jar: &mut Vec<String>, response: &reqwest::Response) {
    for set in response.headers().get_all("set-cookie") {
        let Some(pair) = set.to_str().ok().and_then(|t| t.split(';').next()) else {
            continue;
        };
        let name = pair.split('=').next().unwrap_or("").to_string();
        jar.retain(|c| c.split('=').next() != Some(name.as_str()));
        jar.push(pair.to_string());
    }
}

/// The console's audit page over 1,000,000 entries with a text filter, p95, beside the same query through
/// `GET /v1/accounts/{a}/audit` in alternating requests (each first in half the rounds). The page does what the API does
/// (the filtered first page) and more: the session's caller, the account's time zone, the
/// chart of logins per hour over the filter, the HTML.
async fn console_audit(quick: bool) -> anyhow::Result<()> {
    let env = TestEnv::new().await?;
    let mut services = chronid_tests::server::test_services();
    services.clock = std::sync::Arc::new(chronid_crypto::SystemClock);
    let app = chronid_tests::server::spawn_app_with(&env, env.pool.clone(), services).await?;
    let total = 1_000_000;
    crate::bench_read::load_audit(&env, app.account_id, total).await?;

    // A manager's session on the pages, as a browser holds it.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut jar = Vec::new();
    let form = http.get(format!("{}/login", app.base)).send().await?;
    keep_cookies(&mut jar, &form);
    let html = form.text().await?;
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .context("the login form's token")?
        .to_string();
    let signed = http
        .post(format!("{}/login", app.base))
        .header("cookie", jar.join("; "))
        .form(&[
            ("csrf", token.as_str()),
            ("login", "admin@acme.test"),
            ("password", "a-long-admin-password"),
        ])
        .send()
        .await?;
    keep_cookies(&mut jar, &signed);
    if signed.status() != 303 {
        bail!("the manager's login answered {}", signed.status());
    }
    let cookie = jar.join("; ");

    let runs = if quick { 40 } else { 200 };
    let (mut page, mut api) = (Vec::new(), Vec::new());
    for i in 0..runs {
        // A prefix of 111 usernames: 44 descriptions, some thousands of entries.
        let query = format!("q=user{}", (i * 37) % 100 + 100);
        // Whichever goes second finds the first one's pages in the database's cache: each
        // goes first in half the rounds.
        let page_first = i % 2 == 0;
        for turn in 0..2 {
            if (turn == 0) == page_first {
                let started = Instant::now();
                let r = http
                    .get(format!("{}/console/audit?{query}", app.base))
                    .header("cookie", &cookie)
                    .send()
                    .await?;
                let status = r.status();
                let body = r.text().await?;
                page.push(started.elapsed().as_secs_f64() * 1000.0);
                if status != 200 || !body.contains("<table class=\"audit\">") {
                    bail!("the audit page answered {status}");
                }
            } else {
                let started = Instant::now();
                let r = http
                    .get(format!("{}?{query}&limit=50", app.url("/audit")))
                    .bearer_auth(&app.api_key)
                    .send()
                    .await?;
                let status = r.status();
                r.bytes().await?;
                api.push(started.elapsed().as_secs_f64() * 1000.0);
                if status != 200 {
                    bail!("the API's audit answered {status}");
                }
            }
        }
    }
    print(Figure {
        scenario: "pages",
        figure: "console_audit_page_q_p95",
        params: json!({"entries": total, "rows": 50, "runs": runs, "filter": "q=user1NN (text)",
            "page_p50_ms": (percentile(&mut page.clone(), 0.5) * 100.0).round() / 100.0,
            "api_p50_ms": (percentile(&mut api.clone(), 0.5) * 100.0).round() / 100.0}),
        value: percentile(&mut page, 0.95),
        unit: "ms",
        reference: "api_audit_q_p95",
        reference_value: percentile(&mut api, 0.95),
    });
    drop(app);
    env.cleanup().await
}
