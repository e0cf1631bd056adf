//! The dashboard in headless Chromium, over a `lanes serve` running real lanes: the commit
//! page follows a running step without reloading, a log streams, an approver approves with a
//! click and a viewer has nothing to click; the demo leaves its printed approver a production
//! approval to click. Screenshots go to `target/test-artifacts/browser`.

use crate::serve::Scene;
use crate::serve::ServedDemo;
use crate::serving::token;
use crate::webdriver::{Browser, browser};

fn sign_in(browser: &Browser, url: &str, token: &str) {
    browser.open(&format!("{url}/logout"));
    browser.type_into("input[name=token]", token);
    browser.click("form button");
    browser.wait_until("signed in", |b| b.text("header .who").contains('('));
}

/// The state a stage shows (the page writes it in capitals).
fn stage_state(browser: &Browser, component: &str, stage: &str) -> String {
    browser
        .text(&format!(
            "section[data-component={component}] li[data-stage={stage}] .state"
        ))
        .to_lowercase()
}

#[test]
fn the_dashboard_follows_real_lanes_and_an_approver_approves_with_a_click() {
    let Some(browser) =
        browser("the_dashboard_follows_real_lanes_and_an_approver_approves_with_a_click")
    else {
        return;
    };
    let scene = Scene::new();
    let (once, repo, commit) = (scene.once.path(), &scene.repo, scene.commit.clone());
    // web's build writes a line, waits, writes another; api's build takes a while.
    std::fs::write(once.join("slow-web"), "3").unwrap();
    std::fs::write(once.join("slow-api"), "15").unwrap();
    let alice = token(repo, "alice", "approver");
    let viewer = token(repo, "vic", "viewer");
    let server = scene.serve_pushed("browser-1");

    sign_in(&browser, &server.url, &viewer);
    // The run page of web's build streams its log while the step writes it.
    browser.wait_until("web's build started", |b| {
        b.open(&format!("{}/lanes/2/stages/pr", server.url));
        b.text("#log").contains("stdout | first")
    });
    assert!(
        !browser.text("#log").contains("stdout | second"),
        "the step is still running"
    );
    browser.screenshot("run-page-streaming");
    browser.wait_until("the second line streamed in", |b| {
        b.text("#log").contains("stdout | second")
    });
    browser.wait_until("the stream ended with the attempt", |b| {
        b.script("return document.getElementById('log').dataset.ended || ''") == "true"
    });
    browser.screenshot("run-page-ended");

    // The commit page follows api's running build without a reload.
    browser.open(&format!("{}/commits/{commit}", server.url));
    assert_eq!(
        stage_state(&browser, "api", "pr"),
        "running",
        "api still builds"
    );
    browser.script(
        "window.notReloaded = true; window.ledgerEvents = 0; \
         document.addEventListener('ledger', () => window.ledgerEvents++); return null;",
    );
    browser.screenshot("commit-page-running");
    browser.wait_until("api's build succeeded and production waits", |b| {
        stage_state(b, "api", "production") == "waiting"
            && stage_state(b, "web", "production") == "waiting"
    });
    assert_eq!(stage_state(&browser, "api", "pr"), "succeeded");
    assert_eq!(
        browser.script("return window.notReloaded === true"),
        true,
        "updated in place"
    );
    let triggered = browser.script("return window.ledgerEvents");
    assert!(
        triggered.as_u64().unwrap_or(0) > 0,
        "the ledger's event stream refreshed the lanes ({triggered})"
    );
    assert!(
        browser
            .text("section[data-component=api]")
            .contains("waiting for approval")
    );
    assert!(
        browser.all("button.approve").is_empty(),
        "a viewer has no approve button"
    );
    browser.screenshot("commit-page-viewer");

    sign_in(&browser, &server.url, &alice);
    browser.open(&format!("{}/commits/{commit}", server.url));
    browser.click("section[data-component=api] button.approve");
    browser.wait_until("the approval is said", |b| {
        b.text(".flash").contains("alice approved api")
    });
    browser.wait_until("api is in production", |b| {
        b.text("section[data-component=api] h2")
            .contains("done: in production")
    });
    assert_eq!(stage_state(&browser, "web", "production"), "waiting");
    browser.screenshot("commit-page-approved");

    for (path, name) in [
        ("/board", "board"),
        ("/queue", "queue"),
        ("/", "history"),
        ("/deliveries", "deliveries"),
    ] {
        browser.open(&format!("{}{path}", server.url));
        browser.screenshot(name);
    }
    browser.resize(390, 844);
    browser.open(&format!("{}/commits/{commit}", server.url));
    browser.screenshot("commit-page-phone");
}

#[test]
fn the_demo_leaves_its_printed_approver_a_production_approval_to_click() {
    let Some(browser) =
        browser("the_demo_leaves_its_printed_approver_a_production_approval_to_click")
    else {
        return;
    };
    let home = tempfile::TempDir::new().unwrap();
    let temp = home.path().join("tmp");
    std::fs::create_dir(&temp).unwrap();
    let demo = ServedDemo::start(home.path(), &temp, &[]);
    let waiting = demo.waiting_commit();
    sign_in(&browser, &demo.url, &demo.olga);
    browser.open(&format!("{}/commits/{waiting}", demo.url));
    assert_eq!(stage_state(&browser, "monitoring", "staging"), "succeeded");
    assert_eq!(stage_state(&browser, "monitoring", "production"), "waiting");
    browser.screenshot("demo-waiting");
    browser.click("section[data-component=monitoring] button.approve");
    browser.wait_until("the approval is said", |b| {
        b.text(".flash").contains("olga approved monitoring")
    });
    browser.wait_until("monitoring is in production", |b| {
        b.text("section[data-component=monitoring] h2")
            .contains("done: in production")
    });
    browser.screenshot("demo-approved");
    demo.stop();
}

#[test]
fn the_delivery_page_shows_each_components_metrics_with_charts_drawn_by_the_server() {
    let Some(browser) =
        browser("the_delivery_page_shows_each_components_metrics_with_charts_drawn_by_the_server")
    else {
        return;
    };
    let (repo, server) = crate::metrics::served_metrics();
    let viewer = token(&repo, "vic", "viewer");
    sign_in(&browser, &server.url, &viewer);
    browser.open(&format!("{}/delivery", server.url));
    browser.wait_until("the page shows api", |b| {
        b.text("section[data-component=api] h2") == "api"
    });
    let fail_rate =
        browser.text(r#"section[data-component=api] tr[data-metric="change fail rate"] td.level"#);
    assert_eq!(fail_rate.to_lowercase(), "low");
    let deploys = browser.script(
        "return document.querySelectorAll('section[data-component=api] svg.deploys circle').length",
    );
    assert_eq!(deploys, serde_json::json!(3), "two deploys and a rollback");
    let failed = browser.script(
        "return document.querySelectorAll('section[data-component=api] circle[data-kind=failed]').length",
    );
    assert_eq!(failed, serde_json::json!(1));
    // The charts are drawn, not empty boxes.
    let width = browser.script(
        "return document.querySelector('section[data-component=api] svg.lead-time').getBoundingClientRect().width",
    );
    assert!(width.as_f64().unwrap() > 100.0, "{width}");
    browser.screenshot("delivery-page");
    browser.click("form.window button");
    browser.wait_until("the form reloads the page", |b| {
        b.script("return location.search")
            .as_str()
            .unwrap_or("")
            .contains("since=30d")
    });
}
