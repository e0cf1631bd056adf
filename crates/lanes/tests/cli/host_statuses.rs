//! Verdicts go back to the git hosts: `lanes serve` posts a status per component and the
//! aggregate `lanes` for every commit it drives, through the ledger's outbox, to a fake host
//! that accepts only what the hosts' published API descriptions describe.

use std::time::Duration;

use base64::Engine as _;
use serde_json::json;

use crate::fake_host::{Accepted, FakeHost};
use crate::harness::{TestRepo, wait_until};
use crate::serving::{
    AZURE_PASSWORD, AZURE_USER, GITLAB_SECRET, Serving, github_fixture, github_webhook,
    host_fixture, host_webhook, page, push_webhook, token, wait_for_view,
};

const MANIFEST: &str = r#"version: 1
components:
  api: { path: api }
  web: { path: web }
stages:
  - { name: build, run: ["sh ./build.sh"] }
"#;

const BUILD: &str = r#"if [ -f "$LANES_COMPONENT_PATH/broken" ]; then echo "tests are red"; exit 3; fi
if [ -f "$LANES_COMPONENT_PATH/slow" ]; then sleep 2; fi
echo "built $LANES_COMPONENT"
"#;

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("lanes.yml", MANIFEST)
        .write("build.sh", BUILD)
        .write("api/main.c", "1")
        .write("web/app.js", "1");
    repo
}

/// `lanes serve` over `repo`, posting to `host`.
fn serve(repo: &TestRepo, host: &FakeHost) -> Serving {
    serve_in(repo.path(), repo, host)
}

fn serve_in(dir: &std::path::Path, repo: &TestRepo, host: &FakeHost) -> Serving {
    let args = host.serve_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut env = FakeHost::tokens();
    env.extend([
        ("LANES_GITLAB_TOKEN", GITLAB_SECRET),
        ("LANES_AZURE_DEVOPS_USER", AZURE_USER),
        ("LANES_AZURE_DEVOPS_PASSWORD", AZURE_PASSWORD),
    ]);
    Serving::start_with_env(dir, repo.git_home(), &args, &env)
}

/// The (context, state) pairs in the order the host accepted them.
fn sequence(statuses: &[Accepted]) -> Vec<(String, String)> {
    statuses
        .iter()
        .map(|status| (status.context(), status.state()))
        .collect()
}

fn last<'a>(statuses: &'a [Accepted], context: &str) -> &'a Accepted {
    statuses
        .iter()
        .rev()
        .find(|status| status.context() == context)
        .unwrap_or_else(|| panic!("no status {context} in {statuses:#?}"))
}

/// Each context's states: never anything after its final verdict but that verdict.
fn assert_in_order(statuses: &[Accepted]) {
    let mut finished = std::collections::BTreeMap::<String, String>::new();
    for status in statuses {
        if let Some(verdict) = finished.get(&status.context()) {
            assert_eq!(
                verdict,
                &status.state(),
                "{} went back from {verdict}: {:#?}",
                status.context(),
                sequence(statuses)
            );
        }
        if status.state() != "pending" {
            finished.insert(status.context(), status.state());
        }
    }
}

#[test]
fn a_pushed_commit_gets_pending_then_a_verdict_per_component_and_the_aggregate() {
    let host = FakeHost::start();
    let repo = repo();
    repo.write("web/slow", "1");
    let first = repo.commit("two components");
    let server = serve(&repo, &host);
    let (status, body) = push_webhook(&server, &first, "push-1");
    assert_eq!(status, 202, "{body}");

    let statuses = host.wait_for(&first, "lanes", "success");
    let order = sequence(&statuses);
    assert_eq!(
        order[0],
        ("lanes".to_owned(), "pending".to_owned()),
        "{order:?}"
    );
    assert!(
        order.contains(&("lanes/web".to_owned(), "pending".to_owned())),
        "web's slow build is reported running: {order:?}"
    );
    assert_eq!(last(&statuses, "lanes/api").state(), "success");
    assert_eq!(last(&statuses, "lanes/web").state(), "success");
    assert_eq!(last(&statuses, "lanes").description(), "2 of 2 passed");
    assert_eq!(
        order.last().unwrap().0,
        "lanes",
        "the aggregate comes last: {order:?}"
    );
    assert_in_order(&statuses);
    let posted = last(&statuses, "lanes");
    assert_eq!(
        posted.path,
        format!("/repos/binkkatal/sample_app/statuses/{first}"),
        "the repository of the delivery"
    );
    assert_eq!(
        posted.body["target_url"],
        format!("{}/commits/{first}", server.url)
    );

    // The second commit breaks web; api is unchanged and passes with its provenance.
    repo.write("web/broken", "1").remove("web/slow");
    let second = repo.commit("web breaks");
    let (status, body) = push_webhook(&server, &second, "push-2");
    assert_eq!(status, 202, "{body}");
    let statuses = host.wait_for(&second, "lanes", "failure");
    let api = last(&statuses, "lanes/api");
    assert_eq!(api.state(), "success");
    assert_eq!(
        api.description(),
        format!("unchanged since {}, which passed", &first[..7])
    );
    assert_eq!(last(&statuses, "lanes/web").state(), "failure");
    assert_eq!(
        last(&statuses, "lanes/web").description(),
        "failed at build"
    );
    assert_eq!(last(&statuses, "lanes").description(), "1 of 2 failed: web");
    assert_in_order(&statuses);
    assert!(host.refused().is_empty(), "{:#?}", host.refused());
}

#[test]
fn statuses_refused_with_5xx_or_429_are_retried_and_none_is_lost() {
    let host = FakeHost::start();
    let repo = repo();
    let commit = repo.commit("two components");
    host.fail_next(2, 502, None);
    host.fail_next(2, 429, Some(1));
    let server = serve(&repo, &host);
    assert_eq!(push_webhook(&server, &commit, "push-1").0, 202);
    let statuses = host.wait_for(&commit, "lanes", "success");
    assert_eq!(host.faulted(), 4);
    assert_eq!(last(&statuses, "lanes/api").state(), "success");
    assert_eq!(last(&statuses, "lanes/web").state(), "success");
    assert_eq!(
        sequence(&statuses)[0],
        ("lanes".to_owned(), "pending".to_owned()),
        "the first status, refused four times, is still the first"
    );
    assert_in_order(&statuses);
    assert!(host.refused().is_empty(), "{:#?}", host.refused());
}

#[test]
fn statuses_queued_while_the_host_is_down_are_sent_after_a_restart() {
    let mut host = FakeHost::start();
    host.go_down();
    let repo = repo();
    let commit = repo.commit("two components");
    let viewer = token(&repo, "vic", "viewer");
    let server = serve(&repo, &host);
    assert_eq!(push_webhook(&server, &commit, "push-1").0, 202);
    wait_for_view(&server, &viewer, &commit, "both lanes passed", |view| {
        view["lanes"].as_array().is_some_and(|lanes| {
            lanes.len() == 2 && lanes.iter().all(|lane| lane["summary"] == "done")
        })
    });
    // The run's end is reported a moment after the view shows it.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(server.stop().success());
    host.come_up();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        host.accepted().is_empty(),
        "nothing is sent without a server"
    );

    let _server = serve(&repo, &host);
    let statuses = host.wait_for(&commit, "lanes", "success");
    assert_eq!(
        sequence(&statuses)[0].1,
        "pending",
        "{:?}",
        sequence(&statuses)
    );
    assert_eq!(last(&statuses, "lanes/api").state(), "success");
    assert_in_order(&statuses);
    assert!(host.refused().is_empty(), "{:#?}", host.refused());
}

#[test]
fn the_fake_host_refuses_what_the_descriptions_do_not_describe() {
    let host = FakeHost::start();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let sha = "a".repeat(40);
    let post = |url: String, auth: &str, body: serde_json::Value| {
        agent
            .post(&url)
            .header("Authorization", auth)
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes())
            .unwrap()
            .status()
            .as_u16()
    };
    let bearer = format!("Bearer {}", crate::fake_host::GITHUB_TOKEN);
    let url = format!("{}/repos/o/r/statuses/{sha}", host.github_url());
    assert_eq!(
        post(
            url.clone(),
            &bearer,
            json!({"state": "success", "context": "lanes"})
        ),
        201
    );
    assert_eq!(
        post(url.clone(), &bearer, json!({"state": "passed"})),
        422,
        "no such state"
    );
    assert_eq!(
        post(url.clone(), &bearer, json!({"context": "lanes"})),
        422,
        "state is required"
    );
    assert_eq!(
        post(
            url.clone(),
            &bearer,
            json!({"state": "success", "colour": 1})
        ),
        422
    );
    assert_eq!(
        post(url.clone(), "Bearer wrong", json!({"state": "success"})),
        401
    );
    assert_eq!(
        post(
            format!("{}/repos/o/r/status/{sha}", host.github_url()),
            &bearer,
            json!({"state": "success"})
        ),
        404
    );
    let azure = format!(
        "{}/org/project/_apis/git/repositories/repo/commits/{sha}/statuses",
        host.azure_url()
    );
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!(":{}", crate::fake_host::AZURE_TOKEN))
    );
    assert_eq!(
        post(azure.clone(), &basic, json!({"state": "succeeded"})),
        400,
        "api-version is required"
    );
    assert_eq!(
        post(
            format!("{azure}?api-version=7.1"),
            &basic,
            json!({"state": "success"})
        ),
        422,
        "Azure DevOps says succeeded"
    );
    assert_eq!(
        post(
            format!("{azure}?api-version=7.1"),
            &basic,
            json!({"state": "succeeded"})
        ),
        200
    );
    assert_eq!(host.accepted().len(), 2);
    assert_eq!(host.refused().len(), 7);
}

#[test]
fn a_server_whose_posts_the_host_does_not_describe_gets_them_refused() {
    let host = FakeHost::start();
    let repo = repo();
    let commit = repo.commit("two components");
    // The API base of GitHub Enterprise Server, but this host serves github.com's paths.
    let wrong = format!("{}/api/v3", host.github_url());
    let mut env = FakeHost::tokens();
    env.truncate(1);
    let server = Serving::start_with_env(
        repo.path(),
        repo.git_home(),
        &["--github-api-url", &wrong],
        &env,
    );
    assert_eq!(push_webhook(&server, &commit, "push-1").0, 202);
    wait_until("the host refused a post", || !host.refused().is_empty());
    assert!(host.accepted().is_empty());
    assert!(
        host.refused()[0].contains("no such endpoint"),
        "{:?}",
        host.refused()
    );
}

#[test]
fn gitlab_and_azure_devops_get_statuses_where_their_deliveries_came_from() {
    let host = FakeHost::start();
    let repo = repo();
    let commit = repo.commit("two components");
    let server = serve(&repo, &host);

    let mut push = host_fixture("gitlab", "push.json");
    push["checkout_sha"] = json!(commit);
    push["after"] = json!(commit);
    push["ref"] = json!("refs/heads/main");
    assert_eq!(host_webhook(&server, "gitlab", &push).0, 202);
    let mut pull = host_fixture("azure-devops", "git.pullrequest.updated.json");
    pull["resource"]["lastMergeSourceCommit"]["commitId"] = json!(commit);
    pull["resource"]["status"] = json!("active");
    assert_eq!(host_webhook(&server, "azure-devops", &pull).0, 202);

    wait_until("both hosts have the verdict", || {
        let statuses = host.accepted();
        let done = |which: &str, state: &str| {
            statuses
                .iter()
                .rev()
                .find(|status| status.host == which && status.context() == "lanes")
                .is_some_and(|status| status.state() == state)
        };
        done("gitlab", "success") && done("azure-devops", "succeeded")
    });
    let statuses = host.accepted();
    let gitlab: Vec<_> = statuses.iter().filter(|s| s.host == "gitlab").collect();
    assert!(
        gitlab
            .iter()
            .all(|s| s.path == format!("/projects/15/statuses/{commit}")),
        "{gitlab:#?}"
    );
    assert!(
        gitlab
            .iter()
            .any(|s| s.context() == "lanes/api" && s.state() == "success")
    );
    let azure: Vec<_> = statuses
        .iter()
        .filter(|s| s.host == "azure-devops")
        .collect();
    assert!(
        azure.iter().all(|s| s.path
            == "/fabrikam/6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c/_apis/git/repositories/4bc14d40-c903-45e2-872e-0462c7748079/pullRequests/1/statuses?api-version=7.1"),
        "an active pull request gets pull request statuses: {azure:#?}"
    );
    assert!(
        azure
            .iter()
            .any(|s| s.context() == "lanes/web" && s.state() == "succeeded")
    );
    assert!(host.refused().is_empty(), "{:#?}", host.refused());
}

const QUEUE_MANIFEST: &str = r#"version: 1
components:
  api: { path: api }
  web: { path: web }
environments:
  accept: {}
  prod: {}
stages:
  - { name: build, run: ["sh ./build.sh"] }
  - { name: acceptance, environment: accept, deploy: "true", run: ["true"], on_success: merge-default }
  - { name: production, environment: prod, deploy: "true" }
"#;

#[test]
fn a_merge_group_commit_gets_its_acceptance_run_and_a_status() {
    let host = FakeHost::start();
    let developer = TestRepo::new();
    developer
        .write("lanes.yml", QUEUE_MANIFEST)
        .write("build.sh", BUILD)
        .write("api/main.c", "1")
        .write("web/app.js", "1");
    developer.commit("two components");
    let origin = developer.sibling("origin.git");
    let origin = origin.to_str().unwrap();
    crate::harness::git_in(
        developer.git_home(),
        developer.git_home(),
        &["init", "-q", "--bare", "-b", "main", origin],
    );
    developer.git(&["push", "-q", origin, "main"]);
    // GitHub's merge queue tests main plus the pull request on a branch of its own.
    developer.git(&["checkout", "-q", "-b", "feature"]);
    developer.write("api/main.c", "2");
    let group = developer.commit("api changes");
    let queue_branch = format!("gh-readonly-queue/main/pr-7-{group}");
    developer.git(&[
        "push",
        "-q",
        origin,
        &format!("feature:refs/heads/{queue_branch}"),
    ]);
    let clone = developer.sibling("served");
    crate::harness::git_in(
        developer.git_home(),
        developer.git_home(),
        &["clone", "-q", origin, clone.to_str().unwrap()],
    );
    let viewer = crate::harness::lanes_in(&clone, &["token", "add", "vic", "--role", "viewer"])
        .success()
        .stdout()
        .trim()
        .to_owned();
    let server = serve_in(&clone, &developer, &host);

    let mut payload = github_fixture("merge_group.checks_requested.json");
    payload["merge_group"]["head_sha"] = json!(group);
    payload["merge_group"]["head_ref"] = json!(format!("refs/heads/{queue_branch}"));
    let (status, body) = github_webhook(&server, "merge_group", "group-1", &payload);
    assert_eq!(status, 202, "{body}");
    let view = wait_for_view(
        &server,
        &viewer,
        &group,
        "api's acceptance passed and its production waits",
        // The wait is recorded by the dispatcher's next turn, after acceptance's end.
        |view| {
            crate::serving::state_of(view, "api", "acceptance") == "succeeded"
                && crate::serving::state_of(view, "api", "production") != "pending"
        },
    );
    let api = view["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|lane| lane["component"] == "api")
        .unwrap();
    assert_eq!(api["role"], "candidate", "{view:#}");
    let production = crate::serving::stage_of(&view, "api", "production");
    assert_eq!(production["state"], "waiting", "{view:#}");
    assert!(
        production["reason"]
            .as_str()
            .unwrap()
            .contains("merge queue"),
        "{production:#}"
    );
    let statuses = host.wait_for(&group, "lanes", "success");
    assert_eq!(
        last(&statuses, "lanes").path,
        format!("/repos/octo-org/octo-repo/statuses/{group}")
    );
    assert!(
        last(&statuses, "lanes/api")
            .description()
            .contains("production is waiting for the host's merge queue"),
        "{statuses:#?}"
    );

    // The queue merges the group's very commit: its lanes walk on, on main.
    developer.git(&["push", "-q", origin, &format!("{group}:refs/heads/main")]);
    let (status, body) = push_webhook(&server, &group, "push-merged");
    assert_eq!(status, 202, "{body}");
    let view = wait_for_view(&server, &viewer, &group, "api reached production", |view| {
        crate::serving::state_of(view, "api", "production") == "succeeded"
    });
    let api = view["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|lane| lane["component"] == "api")
        .unwrap();
    assert_eq!(api["role"], "default", "{view:#}");
    assert_eq!(
        crate::serving::state_of(&view, "api", "acceptance"),
        "succeeded",
        "acceptance stands"
    );
    assert!(host.refused().is_empty(), "{:#?}", host.refused());
}

#[test]
fn the_commit_page_links_to_the_commit_and_the_pull_request_on_the_host() {
    let host = FakeHost::start();
    let repo = repo();
    let commit = repo.commit("two components");
    let viewer = token(&repo, "vic", "viewer");
    let server = serve(&repo, &host);
    let mut payload = github_fixture("pull_request.opened.json");
    payload["pull_request"]["head"]["sha"] = json!(commit);
    let (status, body) = github_webhook(&server, "pull_request", "pr-1", &payload);
    assert_eq!(status, 202, "{body}");
    host.wait_for(&commit, "lanes", "success");
    let (status, page) = page(&server, &viewer, &format!("/commits/{commit}"));
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!(
            "href=\"https://github.com/Codertocat/Hello-World/commit/{commit}\""
        )),
        "{page}"
    );
    assert!(
        page.contains("href=\"https://github.com/Codertocat/Hello-World/pull/2\""),
        "{page}"
    );
}
