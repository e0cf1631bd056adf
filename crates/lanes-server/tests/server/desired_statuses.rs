//! The statuses a commit should show, as a pure function of its unified view: what passes,
//! what is pending, what failed, and the aggregate.

use lanes_engine::{CommitView, LaneView, Role, StageState, StageView, UnchangedView};
use lanes_server::desired_statuses;

const URL: &str = "http://lanes.example/commits/abc";

fn stage(name: &str, state: StageState, reason: Option<&str>) -> StageView {
    StageView {
        name: name.to_owned(),
        state,
        reason: reason.map(str::to_owned),
        provenance: None,
        attempts: 1,
        flaky: false,
        started_at: None,
        finished_at: None,
        duration_ms: None,
    }
}

fn lane(component: &str, summary: &'static str, stages: Vec<StageView>) -> LaneView {
    LaneView {
        component: component.to_owned(),
        fingerprint: "f".repeat(64),
        role: Role::Default,
        done: summary == "done",
        summary,
        red_since: None,
        rolled_back: None,
        stages,
    }
}

fn view(lanes: Vec<LaneView>, unchanged: Vec<UnchangedView>) -> CommitView {
    CommitView {
        commit: "abc".to_owned(),
        lanes,
        unchanged,
        decisions: Vec::new(),
    }
}

fn states(statuses: &[lanes_store::QueuedStatus]) -> Vec<(String, String)> {
    statuses
        .iter()
        .map(|status| (status.context.clone(), status.state.clone()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(context, state)| ((*context).to_owned(), (*state).to_owned()))
        .collect()
}

#[test]
fn a_commit_lanes_has_not_looked_at_is_only_pending() {
    let statuses = desired_statuses(&view(vec![], vec![]), &[], URL);
    assert_eq!(states(&statuses), pairs(&[("lanes", "pending")]));
    assert_eq!(statuses[0].target_url, URL);
}

#[test]
fn waiting_for_an_approval_passes_and_a_lock_or_a_run_is_pending() {
    let approval = lane(
        "api",
        "waiting",
        vec![
            stage("build", StageState::Succeeded, None),
            stage(
                "production",
                StageState::Waiting,
                Some("waiting for approval (0 of 1) from alice"),
            ),
        ],
    );
    let running = lane(
        "web",
        "running",
        vec![stage("build", StageState::Running, None)],
    );
    let recorded = ["api".to_owned(), "web".to_owned()];
    let statuses = desired_statuses(&view(vec![approval, running], vec![]), &recorded, URL);
    assert_eq!(
        states(&statuses),
        pairs(&[
            ("lanes/api", "success"),
            ("lanes/web", "pending"),
            ("lanes", "pending")
        ])
    );
    assert_eq!(
        statuses[0].description,
        "passed build; production is waiting for approval (0 of 1) from alice"
    );
    assert_eq!(statuses[2].description, "1 of 2 passed; waiting for web");
}

#[test]
fn one_failure_fails_the_aggregate_and_unchanged_versions_pass_with_provenance() {
    let failed = lane(
        "web",
        "failed",
        vec![
            stage("build", StageState::Failed, Some("exit 3")),
            stage("production", StageState::Canceled, None),
        ],
    );
    let unchanged = UnchangedView {
        component: "api".to_owned(),
        fingerprint: "f".repeat(64),
        since: "1234567890".to_owned(),
        verdict: "passed",
        text: "unchanged since 1234567, which passed".to_owned(),
    };
    let recorded = ["api".to_owned(), "web".to_owned(), "docs".to_owned()];
    let statuses = desired_statuses(&view(vec![failed], vec![unchanged]), &recorded, URL);
    assert_eq!(
        states(&statuses),
        pairs(&[
            ("lanes/api", "success"),
            ("lanes/web", "failure"),
            ("lanes/docs", "pending"),
            ("lanes", "failure")
        ])
    );
    assert_eq!(
        statuses[0].description,
        "unchanged since 1234567, which passed"
    );
    assert_eq!(statuses[1].description, "failed at build");
    assert_eq!(
        statuses[2].description, "not looked at yet",
        "never passing"
    );
    assert_eq!(statuses[3].description, "1 of 3 failed: web");
}

#[test]
fn every_component_passed_is_success_and_long_reasons_are_cut_for_the_host() {
    let long = "x".repeat(300);
    let passed = lane(
        "api",
        "done",
        vec![stage("build", StageState::Succeeded, None)],
    );
    let waiting = lane(
        "web",
        "waiting",
        vec![stage("build", StageState::Waiting, Some(&long))],
    );
    let recorded = ["api".to_owned()];
    let statuses = desired_statuses(&view(vec![passed.clone()], vec![]), &recorded, URL);
    assert_eq!(
        states(&statuses),
        pairs(&[("lanes/api", "success"), ("lanes", "success")])
    );
    assert_eq!(statuses[1].description, "1 of 1 passed");
    let statuses = desired_statuses(&view(vec![passed, waiting], vec![]), &recorded, URL);
    assert!(statuses[1].description.chars().count() <= 140);
}
