//! `lanes affected` against the independent oracle of the project's monorepo generator, on many
//! small generated repositories.

use std::path::PathBuf;
use std::process::Command;

use proptest::prelude::*;

use crate::harness::{affected_names, lanes_in};

/// The project's own generator of monorepos with an oracle (`bench/gen_monorepo.py`).
fn generator() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/gen_monorepo.py")
}

fn names(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap().to_owned())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn affected_equals_the_generators_oracle(
        seed in 1u32..1_000_000,
        components in 5usize..40,
        changed_components in 1usize..5,
        avg_deps in 1usize..4,
    ) {
        let temp = tempfile::TempDir::new().unwrap();
        let repo = temp.path().join("repo");
        let files = components * 12;
        let status = Command::new("python3")
            .arg(generator())
            .arg(&repo)
            .args(["--components", &components.to_string(), "--files", &files.to_string()])
            .args(["--changed-files", &(changed_components * 5).to_string(), "--changed-components", &changed_components.to_string()])
            .args(["--avg-deps", &avg_deps.to_string(), "--seed", &seed.to_string()])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        prop_assert!(status.success());
        let oracle: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(temp.path().join("repo.oracle.json")).unwrap()).unwrap();
        let json = lanes_in(&repo, &["affected", "--base", "base", "--head", "head", "--json"]).success().json();
        prop_assert_eq!(affected_names(&json), names(&oracle["affected"]));
        let direct: Vec<String> = json["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|component| component["direct"] == true)
            .map(|component| component["name"].as_str().unwrap().to_owned())
            .collect();
        prop_assert_eq!(direct, names(&oracle["directly_changed"]));
    }
}
