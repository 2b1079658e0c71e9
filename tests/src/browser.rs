//! A real browser for the page tests: Debian's `chromium`, headless, driven through its
//! `chromedriver` with fantoccini. Each [`Browser`] runs its own chromedriver on a free port
//! (killed with it). Steps wait for what they expect; on a failure the caller saves a
//! screenshot and the page source under the target directory ([`Browser::keep_evidence`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// How `scripts/peers.sh` installs what the browser tests need.
const HOW: &str = "install them with `scripts/peers.sh install` (apt-get install chromium chromium-driver; npm ci in tests/peers), which scripts/test.sh runs";

/// WebDriver's code points for the keys the tests press.
pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";

pub struct Browser {
    pub client: Client,
    driver: tokio::process::Child,
}

impl Browser {
    /// Starts chromedriver and a headless chromium session; `extra_args` go to chromium (for
    /// example `--host-resolver-rules=MAP id.acme.test 127.0.0.1`).
    pub async fn start(extra_args: &[String]) -> anyhow::Result<Self> {
        for program in ["chromium", "chromedriver"] {
            let found = std::process::Command::new("sh")
                .args(["-c", &format!("command -v {program}")])
                .output()
                .is_ok_and(|o| o.status.success());
            if !found {
                bail!("the browser tests need `{program}`: {HOW}");
            }
        }
        let port = crate::free_port()?;
        let driver = tokio::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start chromedriver: {HOW}"))?;
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        crate::wait_until(
            "chromedriver answers /status",
            Duration::from_secs(20),
            || {
                let http = http.clone();
                let url = url.clone();
                async move {
                    Ok(http
                        .get(format!("{url}/status"))
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success()))
                }
            },
        )
        .await?;
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--window-size=1100,900".to_string(),
            "--lang=en-US".to_string(),
        ];
        args.extend(extra_args.iter().cloned());
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": "/usr/bin/chromium", "args": args }),
        );
        // chromedriver listens on loopback: plain HTTP, so no TLS stack is built for it.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&url)
            .await
            .with_context(|| format!("cannot open a chromium session: {HOW}"))?;
        Ok(Self { client, driver })
    }

    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("open {url}"))
    }

    /// The element `css`, waited for up to 10 s.
    pub async fn find(&self, css: &str) -> anyhow::Result<Element> {
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => Ok(element),
            Err(e) => bail!("no element {css} on {}: {e}", self.url_text().await),
        }
    }

    /// Whether the page has an element `css` now.
    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Types `text` into the input `css` (cleared first).
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let input = self.find(css).await?;
        input
            .clear()
            .await
            .with_context(|| format!("clear {css}"))?;
        input
            .send_keys(text)
            .await
            .with_context(|| format!("type into {css}"))
    }

    /// Chooses the file at `path` in the file input `css`, as a person picks it in the dialog.
    pub async fn upload(&self, css: &str, path: &Path) -> anyhow::Result<()> {
        let input = self.find(css).await?;
        let path = path.to_str().context("a file path in UTF-8")?;
        input
            .send_keys(path)
            .await
            .with_context(|| format!("choose {path} in {css}"))
    }

    /// Clicks `css` and waits for the page it leads to (the old page's root goes stale).
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let before = self.find("html").await?;
        self.click_only(css).await?;
        self.wait_for_new_page(&before).await
    }

    /// Clicks `css` where the click stays on the page (a label, a radio button).
    pub async fn click_only(&self, css: &str) -> anyhow::Result<()> {
        self.find(css)
            .await?
            .click()
            .await
            .with_context(|| format!("click {css}"))
    }

    /// Waits up to 10 s for the document `before` was the root of to be replaced.
    async fn wait_for_new_page(&self, before: &Element) -> anyhow::Result<()> {
        for _ in 0..200 {
            if before.tag_name().await.is_err() {
                // Then for the new page to have loaded.
                for _ in 0..200 {
                    let state = self
                        .client
                        .execute("return document.readyState", vec![])
                        .await;
                    if matches!(
                        state.as_ref().ok().and_then(Value::as_str),
                        Some("complete")
                    ) {
                        return Ok(());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                bail!(
                    "the page after the click did not load: {}",
                    self.url_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "the click led to no new page; still on {}",
            self.url_text().await
        )
    }

    /// Types `keys` into whatever has the focus (the keyboard alone); when `navigates`, waits
    /// for the page the keys lead to (Enter submitting a form).
    pub async fn type_keys(&self, keys: &str, navigates: bool) -> anyhow::Result<()> {
        let before = self.find("html").await?;
        self.client
            .active_element()
            .await
            .context("the focused element")?
            .send_keys(keys)
            .await
            .context("type")?;
        if navigates {
            self.wait_for_new_page(&before).await?;
        }
        Ok(())
    }

    /// The visible text of `css`.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        self.find(css)
            .await?
            .text()
            .await
            .with_context(|| format!("text of {css}"))
    }

    /// Fails unless the text of `css` contains `needle`, saying what it does contain.
    pub async fn sees_in(&self, css: &str, needle: &str) -> anyhow::Result<()> {
        let text = self.text(css).await?;
        if !text.contains(needle) {
            bail!(
                "expected {needle:?} in {css} on {}; it reads: {text}",
                self.url_text().await
            );
        }
        Ok(())
    }

    /// Fails unless the page's `main` contains `needle`.
    pub async fn sees(&self, needle: &str) -> anyhow::Result<()> {
        self.sees_in("main", needle).await
    }

    /// The path of the page shown (waiting up to 10 s for it to be `path`).
    pub async fn wait_for_path(&self, path: &str) -> anyhow::Result<()> {
        for _ in 0..100 {
            if self.client.current_url().await?.path() == path {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "expected the page {path}, still on {}",
            self.url_text().await
        )
    }

    pub async fn url_text(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => format!("(no URL: {e})"),
        }
    }

    /// Runs axe-core in the page and fails on any serious or critical violation. Returns the
    /// number of rules that passed (so a test can tell axe ran).
    pub async fn check_accessibility(&self) -> anyhow::Result<usize> {
        let source = std::fs::read_to_string(axe_path())
            .with_context(|| format!("axe-core is missing: {HOW}"))?;
        self.client
            .execute(&source, vec![])
            .await
            .context("inject axe-core")?;
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document).then(r => done({
                   passes: r.passes.length,
                   violations: r.violations.map(v => ({
                     id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.map(n => n.target.join(' '))
                   }))
                 })).catch(e => done({ error: String(e) }));",
                vec![],
            )
            .await
            .context("run axe-core")?;
        if let Some(error) = result.get("error") {
            bail!("axe-core failed on {}: {error}", self.url_text().await);
        }
        let bad: Vec<&Value> = result["violations"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
                    .collect()
            })
            .unwrap_or_default();
        if !bad.is_empty() {
            bail!(
                "axe-core found serious or critical violations on {}: {}",
                self.url_text().await,
                serde_json::to_string_pretty(&bad)?
            );
        }
        Ok(result["passes"].as_u64().unwrap_or(0) as usize)
    }

    /// Saves a screenshot and the page source as `<dir>/<name>.png` and `.html`; returns the
    /// screenshot's path.
    pub async fn keep_evidence(&self, dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let png = dir.join(format!("{name}.png"));
        std::fs::write(&png, self.client.screenshot().await?)?;
        std::fs::write(
            dir.join(format!("{name}.html")),
            self.client.source().await?,
        )?;
        Ok(png)
    }

    /// Ends the session and chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}

/// axe-core as `scripts/peers.sh install` puts it.
pub fn axe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/node_modules/axe-core/axe.min.js")
}
