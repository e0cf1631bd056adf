//! The manifest's contract: what parses into what, and how every kind of mistake is reported.

use std::fmt::Write as _;

use lanes_manifest::{Gate, Instances, LockPolicy, Manifest, ManifestError, OnSuccess};
use miette::{GraphicalReportHandler, GraphicalTheme};

/// The diagnostics of an invalid manifest as a person sees them, without colour.
fn errors(text: &str) -> String {
    let error = Manifest::parse("lanes.yml", text).expect_err("the manifest should be invalid");
    let ManifestError::Invalid { diagnostics, .. } = &error else {
        return error.to_string();
    };
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    let mut out = String::new();
    for diagnostic in diagnostics {
        handler
            .render_report(&mut out, diagnostic)
            .expect("rendering to a string works");
    }
    out
}

const DESIGN_SKETCH: &str = r#"
version: 1
branches: { default: main, release: release }      # release: phase 1 only
shared: ["global.json", "build/**"]                 # a change here affects every component
ignore: ["**/*.md", "docs/**"]                      # a change here affects none
components:
  fhir:
    path: src/Fhir                                  # shorthand for paths: ["src/Fhir/**"]
    depends_on: [infrastructure]
    approvers: [alice, bob]
  frontend:
    paths: ["src/Frontend/**", "!src/Frontend/**/*.md"]
    depends_on: [fhir]
    stages:
      pr: { run: ["npm test"] }
  infrastructure:
    path: ./src/Infrastructure/
environments:
  accept: { instances: per-component }              # each lane gets its own copy, others at LKG
  test:   { lock: newest-wins }
  prod:   { lock: fifo, approval: { required: 2, self_approval: false } }
stages:                                             # the lane, in order
  - { name: pr,          run: ["make -C $LANES_COMPONENT_PATH build test"], retries: 2 }
  - { name: acceptance,  environment: accept, deploy: ./deploy.sh, run: [./acceptance.sh], on_success: merge-default }
  - { name: integration, environment: test,   deploy: ./deploy.sh, run: [./e2e.sh],        on_success: merge-release }
  - { name: production,  environment: prod,   deploy: ./deploy.sh, gate: approval }
"#;

#[test]
fn the_design_sketch_parses_into_typed_values() {
    let manifest = Manifest::parse("lanes.yml", DESIGN_SKETCH).unwrap();
    assert_eq!(manifest.branches().release.as_deref(), Some("release"));
    let names: Vec<_> = manifest
        .components()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["fhir", "frontend", "infrastructure"]);
    let fhir = manifest.component(manifest.find_component("fhir").unwrap());
    assert_eq!(fhir.paths[0].glob, "src/Fhir/**");
    assert_eq!(fhir.approvers, ["alice", "bob"]);
    assert_eq!(
        fhir.depends_on,
        [manifest.find_component("infrastructure").unwrap()]
    );
    let frontend = manifest.component(manifest.find_component("frontend").unwrap());
    assert!(frontend.paths[1].negated);
    assert_eq!(frontend.paths[1].glob, "src/Frontend/**/*.md");
    assert_eq!(
        frontend.stage_overrides["pr"].run.as_deref(),
        Some(&["npm test".to_owned()][..])
    );
    let infrastructure = manifest.component(manifest.find_component("infrastructure").unwrap());
    assert_eq!(infrastructure.paths[0].glob, "src/Infrastructure/**");
    let environments = manifest.environments();
    assert_eq!(environments[0].instances, Instances::PerComponent);
    assert_eq!(environments[2].lock, LockPolicy::NewestWins);
    assert_eq!(environments[1].approval.required, 2);
    let stages = manifest.stages();
    assert_eq!(
        stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["pr", "acceptance", "integration", "production"]
    );
    assert_eq!(stages[0].retries, 2);
    assert_eq!(stages[1].on_success, Some(OnSuccess::MergeDefault));
    assert_eq!(stages[3].gate, Some(Gate::Approval));
    assert_eq!(stages[3].environment.as_deref(), Some("prod"));
}

#[test]
fn the_minimal_contract_parses() {
    let manifest = Manifest::parse(
        "lanes.yml",
        "version: 1\ncomponents:\n  a:\n    paths: [\"a/**\", \"!a/**/*.md\"]\n    depends_on: [b]\n  b:\n    path: b\nenvironments:\n  test: {}\nstages:\n  - name: pr\n    run: [\"make test\"]\n  - name: deploy\n    run: []\n    environment: test\n    deploy: \"./deploy.sh\"\n    gate: approval\n",
    )
    .unwrap();
    assert_eq!(manifest.components().len(), 2);
    assert_eq!(manifest.branches().default, "main");
}

#[test]
fn definitions_ignore_formatting_and_follow_content() {
    let a = Manifest::parse(
        "lanes.yml",
        "version: 1\ncomponents:\n  a: { path: a, depends_on: [b] }\n  b: { path: b }\n",
    )
    .unwrap();
    let same = Manifest::parse(
        "lanes.yml",
        "# comment\nversion: 1\ncomponents:\n  b:\n    path: b/\n  a:\n    depends_on: [b]\n    paths: [\"a/**\"]\n",
    )
    .unwrap();
    let changed = Manifest::parse(
        "lanes.yml",
        "version: 1\ncomponents:\n  a: { path: a }\n  b: { path: b }\n",
    )
    .unwrap();
    let id = |m: &Manifest, name| m.find_component(name).unwrap();
    assert_eq!(
        a.component_definition(id(&a, "a")),
        same.component_definition(id(&same, "a"))
    );
    assert_eq!(a.global_definition(), same.global_definition());
    assert_ne!(
        a.component_definition(id(&a, "a")),
        changed.component_definition(id(&changed, "a"))
    );
    assert_eq!(
        a.component_definition(id(&a, "b")),
        changed.component_definition(id(&changed, "b"))
    );
}

#[test]
fn timeouts_and_secrets_parse() {
    let manifest = Manifest::parse(
        "lanes.yml",
        "version: 1\nsecrets: [DEPLOY_TOKEN, _KEY2]\ncomponents:\n  a: { path: a }\nstages:\n  - { name: pr, run: [make], timeout: 1h30m }\n  - { name: e2e, run: [make], timeout: 45s }\n",
    )
    .unwrap();
    assert_eq!(manifest.secrets(), ["DEPLOY_TOKEN", "_KEY2"]);
    assert_eq!(manifest.stages()[0].timeout_seconds, Some(5400));
    assert_eq!(manifest.stages()[1].timeout_seconds, Some(45));
}

#[test]
fn bad_timeouts_and_secret_names_are_errors() {
    insta::assert_snapshot!(errors(
        "version: 1\nsecrets: [\"hunter2 value\"]\ncomponents:\n  a: { path: a }\nstages:\n  - { name: pr, run: [make], timeout: 10 minutes }\n"
    ));
}

#[test]
fn unknown_key_names_the_nearest_valid_key() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  fhir:\n    path: src/Fhir\n    depend_on: [infra]\n"
    ));
}

#[test]
fn unknown_top_level_key() {
    insta::assert_snapshot!(errors(
        "version: 1\ncompnents:\n  fhir: { path: src/Fhir }\n"
    ));
}

#[test]
fn unknown_dependency_names_the_nearest_component() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  fhir:\n    path: src/Fhir\n    depends_on: [infrastructur]\n  infrastructure:\n    path: src/Infrastructure\n"
    ));
}

#[test]
fn duplicate_keys_are_errors() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  fhir: { path: src/Fhir }\n  fhir: { path: src/Fhir2 }\n"
    ));
}

#[test]
fn a_cycle_is_printed_as_a_path() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  a: { path: a, depends_on: [b] }\n  b: { path: b, depends_on: [c] }\n  c: { path: c, depends_on: [a] }\n"
    ));
}

#[test]
fn a_self_dependency_is_a_cycle() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  a: { path: a, depends_on: [a] }\n"
    ));
}

#[test]
fn invalid_globs_point_at_the_glob() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  a:\n    paths: [\"src/a/**\", \"src/[abc\"]\n"
    ));
}

#[test]
fn several_problems_are_reported_together() {
    insta::assert_snapshot!(errors(
        "version: 2\nshared: [\"!x\"]\ncomponents:\n  a: { path: a, paths: [\"a/**\"] }\n  b: {}\n  c: { path: \"src/*\" }\nenvironments:\n  test: {}\nstages:\n  - { name: pr, deploy: ./d.sh }\n  - { name: e2e, environment: tset }\n  - { name: e2e }\n"
    ));
}

#[test]
fn unknown_values_name_the_nearest_value() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents: {}\nenvironments:\n  test: { lock: newest_wins }\n"
    ));
}

#[test]
fn unknown_stage_in_an_override() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  a:\n    path: a\n    stages:\n      acceptnce: { run: [x] }\nstages:\n  - { name: acceptance }\n"
    ));
}

#[test]
fn globs_may_not_leave_the_repository() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  a:\n    paths: [\"../a/**\", \"/etc/**\"]\n"
    ));
}

#[test]
fn yaml_syntax_errors_point_at_the_text() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  a:\n    paths: [\"a/**\"\n"
    ));
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut text = String::from("version: 1\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n");
    for level in 1..12 {
        let previous = format!("*x{}", level - 1);
        let items = vec![previous; 10].join(", ");
        writeln!(text, "x{level}: &x{level} [{items}]").unwrap();
    }
    text.push_str("components:\n  a:\n    paths: *x11\n");
    assert!(Manifest::parse("lanes.yml", &text).is_err());
}

#[test]
fn thousands_of_aliases_are_refused() {
    let aliases = vec!["*who"; 5_000].join(", ");
    let text = format!(
        "version: 1\ncomponents:\n  a:\n    path: a\n    approvers: [&who alice, {aliases}]\n"
    );
    let report = errors(&text);
    assert!(
        report.contains("too large or too deeply nested"),
        "{report}"
    );
}

#[test]
fn ten_thousand_levels_of_nesting_are_refused() {
    let text = format!(
        "version: 1\ncomponents:\n  a:\n    paths: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let report = errors(&text);
    assert!(
        report.contains("too large or too deeply nested"),
        "{report}"
    );
    let mut block = String::from("version: 1\ncomponents:\n  a:\n    paths:\n");
    for depth in 0..10_000 {
        block.push_str(&" ".repeat(6 + depth * 2));
        block.push_str("- \n");
    }
    let report = errors(&block);
    assert!(!report.is_empty());
}

#[test]
fn a_ten_megabyte_manifest_is_refused_before_parsing() {
    let text = format!(
        "version: 1\ncomponents: {{}}\n# {}\n",
        "x".repeat(10 * 1024 * 1024)
    );
    insta::assert_snapshot!(errors(&text));
}

#[test]
fn loading_a_missing_file_names_it() {
    let error = Manifest::load(std::path::Path::new("/nonexistent/lanes.yml")).unwrap_err();
    assert_eq!(error.to_string(), "failed to read /nonexistent/lanes.yml");
}

#[test]
fn the_schema_lists_the_contract_keys() {
    let schema: serde_json::Value = serde_json::from_str(&lanes_manifest::json_schema()).unwrap();
    let text = schema.to_string();
    for key in [
        "version",
        "components",
        "depends_on",
        "paths",
        "environments",
        "stages",
        "gate",
        "deploy",
        "on_success",
    ] {
        assert!(text.contains(&format!("\"{key}\"")), "schema lacks {key}");
    }
    assert_eq!(
        schema["additionalProperties"],
        serde_json::Value::Bool(false)
    );
}

#[test]
fn the_checked_in_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/lanes.schema.json");
    let checked_in = std::fs::read_to_string(path).expect("docs/lanes.schema.json exists");
    assert!(
        checked_in == lanes_manifest::json_schema(),
        "docs/lanes.schema.json is stale: run `cargo run -- schema > docs/lanes.schema.json`"
    );
}

#[test]
fn hotfix_stages_must_exist_and_include_production() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  a: { path: a }\nenvironments:\n  prod: {}\nstages:\n  - { name: pr }\n  - { name: production, environment: prod }\nhotfix: { stages: [pr, prodution] }\n"
    ));
}

#[test]
fn queue_and_hotfix_keys_are_read() {
    let manifest = Manifest::parse(
        "lanes.yml",
        "version: 1\ncomponents:\n  a: { path: a }\nenvironments:\n  test: { tag: true }\n  prod: {}\nstages:\n  - { name: pr }\n  - { name: integration, environment: test }\n  - { name: production, environment: prod }\nqueue: { split: shared, merge: merge-commit }\nhotfix: { stages: [production, pr] }\n",
    )
    .unwrap();
    assert_eq!(manifest.queue().split, lanes_manifest::QueueSplit::Shared);
    assert_eq!(
        manifest.queue().merge,
        lanes_manifest::MergeStyle::MergeCommit
    );
    assert!(manifest.hotfix_walks("pr") && manifest.hotfix_walks("production"));
    assert!(!manifest.hotfix_walks("integration"));
    assert_eq!(manifest.production(), Some("prod"));
    assert!(manifest.tags_deploys_to("test") && manifest.tags_deploys_to("prod"));
}

#[test]
fn dev_dependencies_may_form_cycles_and_name_components() {
    let m = Manifest::parse(
        "lanes.yml",
        "version: 1\ncomponents:\n  a: { path: a, depends_on: [b] }\n  b: { path: b, dev_depends_on: [a, a] }\n  c: { path: c, depends_on: [a], dev_depends_on: [a, b] }\n",
    )
    .unwrap();
    let dev = |name| {
        let id = m.find_component(name).unwrap();
        m.component(id)
            .dev_depends_on
            .iter()
            .map(|d| m.component(*d).name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(dev("b"), ["a"]);
    // Already a runtime dependency: listed once, where it orders deploys.
    assert_eq!(dev("c"), ["b"]);
    let without =
        Manifest::parse("lanes.yml", "version: 1\ncomponents:\n  a: { path: a }\n").unwrap();
    assert!(
        !without
            .component_definition(without.find_component("a").unwrap())
            .contains("dev_depends_on")
    );
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  a: { path: a, dev_depends_on: [bb, a] }\n  b: { path: b }\n"
    ));
}

#[test]
fn central_files_are_files_with_a_kind() {
    let m = Manifest::parse(
        "lanes.yml",
        "version: 1\ncentral:\n  - { path: ./Directory.Packages.props, kind: nuget-central }\n  - { path: Cargo.lock, kind: cargo-lock }\ncomponents:\n  a: { path: a }\n",
    )
    .unwrap();
    assert_eq!(m.central()[0].path, "Cargo.lock");
    assert!(m.central_file("Directory.Packages.props").is_some());
    let without =
        Manifest::parse("lanes.yml", "version: 1\ncomponents:\n  a: { path: a }\n").unwrap();
    assert!(!without.global_definition().contains("central"));
    insta::assert_snapshot!(errors(
        "version: 1\ncentral:\n  - { path: \"**/*.lock\", kind: cargo-lock }\n  - { path: Cargo.lock, kind: cargo-lock }\n  - { path: ./Cargo.lock, kind: cargo-lock }\ncomponents:\n  a: { path: a }\n"
    ));
    insta::assert_snapshot!(errors(
        "version: 1\ncentral:\n  - { path: pnpm-lock.yaml, kind: pnpm-lok }\ncomponents:\n  a: { path: a }\n"
    ));
}

#[test]
fn identities_are_lowercased_addresses_by_approver() {
    let manifest = Manifest::parse(
        "lanes.yml",
        "version: 1\nidentities: { alice: [Alice@Example.com, alice@corp.example] }\ncomponents:\n  a: { path: a, approvers: [alice] }\n",
    )
    .unwrap();
    assert_eq!(
        manifest.emails_of("alice"),
        Some(
            &[
                "alice@corp.example".to_owned(),
                "alice@example.com".to_owned()
            ][..]
        )
    );
    assert_eq!(manifest.emails_of("bob"), None);
}

#[test]
fn an_identity_that_is_no_address_or_is_claimed_twice_is_an_error() {
    let out = errors(
        "version: 1\nidentities:\n  alice: [\"Alice <alice@example.com>\"]\n  bob: [shared@example.com]\n  carol: [Shared@example.com]\n  dan: []\ncomponents:\n  a: { path: a }\n",
    );
    for expected in [
        "`Alice <alice@example.com>` is not an email address",
        "`shared@example.com` is claimed by both `bob` and `carol`",
        "`dan` has no email address under `identities`",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
    }
}

#[test]
fn retention_days_are_read_and_default_to_fourteen() {
    let parse = |text: &str| Manifest::parse("lanes.yml", text).unwrap();
    let base = "version: 1\ncomponents:\n  a: { path: a }\n";
    assert_eq!(parse(base).retention().days, 14);
    let kept = parse(&format!("{base}retention: {{ days: 3 }}\n"));
    assert_eq!(kept.retention().days, 3);
    assert_eq!(kept.retention().millis(), 3 * 86_400_000);
    // Retention changes what the state directory keeps, never what a component is built from.
    assert_eq!(parse(base).global_definition(), kept.global_definition());
    let id = kept.find_component("a").unwrap();
    assert_eq!(
        parse(base).component_definition(id),
        kept.component_definition(id)
    );
}

#[test]
fn retention_days_must_be_a_positive_number_and_keys_known() {
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  a: { path: a }\nretention: { days: 0 }\n"
    ));
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  a: { path: a }\nretention: { day: 3 }\n"
    ));
    insta::assert_snapshot!(errors(
        "version: 1\ncomponents:\n  a: { path: a }\nretention: { days: -2 }\n"
    ));
}
