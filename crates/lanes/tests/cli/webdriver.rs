//! A small client of the W3C `WebDriver` protocol, enough to drive headless Chromium through
//! `chromedriver`: open pages, find and click elements, type, run a script, take screenshots.
//! The protocol is a handful of JSON calls over HTTP; the tests make them with `ureq`.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// The key `WebDriver` names elements by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where browser tests keep their screenshots: `target/test-artifacts/browser`.
pub(crate) fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("test-artifacts")
        .join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    })
}

/// A headless Chromium session, or `None` (said loudly, past the test harness's capture) when
/// chromium or chromedriver is not installed.
pub(crate) fn browser(test: &str) -> Option<Browser> {
    let driver = std::env::var_os("LANES_CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| on_path("chromedriver"));
    let chromium = on_path("chromium").or_else(|| on_path("chromium-browser"));
    let (Some(driver), Some(chromium)) = (driver, chromium) else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: no headless browser (install Debian's `chromium` and `chromium-driver`; .ci/run does)"
        );
        return None;
    };
    Some(Browser::start(&driver, &chromium))
}

pub(crate) struct Browser {
    driver: Child,
    base: String,
    agent: ureq::Agent,
}

impl Browser {
    fn start(driver: &Path, chromium: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_mins(1)))
            .build()
            .into();
        let mut browser = Self {
            driver: child,
            base: format!("http://127.0.0.1:{port}"),
            agent,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while browser.call("GET", "/status", None).is_err() {
            assert!(Instant::now() < deadline, "chromedriver never became ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]
            }
        }}});
        let session = browser
            .call("POST", "/session", Some(&capabilities))
            .expect("a browser session");
        let id = session["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        browser.base = format!("{}/session/{id}", browser.base);
        browser
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let answer = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or(&json!({})).to_string().as_bytes()),
        };
        let mut answer = answer.map_err(|error| error.to_string())?;
        let ok = answer.status().is_success();
        let text = answer
            .body_mut()
            .read_to_string()
            .map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        if ok {
            Ok(value["value"].clone())
        } else {
            Err(value["value"].to_string())
        }
    }

    pub(crate) fn open(&self, url: &str) {
        self.call("POST", "/url", Some(&json!({ "url": url })))
            .unwrap();
    }

    /// Elements matching a CSS selector.
    pub(crate) fn all(&self, css: &str) -> Vec<String> {
        self.call(
            "POST",
            "/elements",
            Some(&json!({"using": "css selector", "value": css})),
        )
        .unwrap()
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|element| element[ELEMENT].as_str().map(str::to_owned))
        .collect()
    }

    pub(crate) fn one(&self, css: &str) -> String {
        self.all(css)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element matches `{css}` in {}", self.source()))
    }

    pub(crate) fn click(&self, css: &str) {
        let element = self.one(css);
        self.call("POST", &format!("/element/{element}/click"), None)
            .unwrap();
    }

    pub(crate) fn type_into(&self, css: &str, text: &str) {
        let element = self.one(css);
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(&json!({ "text": text })),
        )
        .unwrap();
    }

    /// The visible text of the first element matching `css` (empty when none does).
    pub(crate) fn text(&self, css: &str) -> String {
        match self.all(css).into_iter().next() {
            Some(element) => self
                .call("GET", &format!("/element/{element}/text"), None)
                .map(|value| value.as_str().unwrap_or_default().to_owned())
                .unwrap_or_default(),
            None => String::new(),
        }
    }

    pub(crate) fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({"script": script, "args": []})),
        )
        .unwrap()
    }

    pub(crate) fn source(&self) -> String {
        self.call("GET", "/source", None)
            .map(|value| value.as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    }

    /// Polls until `check` holds, or panics with `what` and the page.
    pub(crate) fn wait_until(&self, what: &str, check: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_mins(1);
        while !check(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}: {}",
                self.source()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(&json!({"width": width, "height": height})),
        )
        .unwrap();
    }

    /// Saves a PNG screenshot under the test artifacts.
    pub(crate) fn screenshot(&self, name: &str) {
        let encoded = self.call("GET", "/screenshot", None).unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .unwrap();
        std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.call("DELETE", "", None);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
