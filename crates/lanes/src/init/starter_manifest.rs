//! The text `lanes init` writes: the discovered components, and the lane sketched in comments
//! for the team to fill in.

use std::fmt::Write as _;

use crate::init::{DiscoveredComponent, Layout, RootFiles};

/// The manifest for `components`; with a phase, the lane that phase runs (see `lane_for`),
/// else the lane sketched in comments.
pub(crate) fn starter_manifest(
    layout: Layout,
    components: &[DiscoveredComponent],
    root_files: &RootFiles,
    phase: Option<u8>,
) -> String {
    let found = match layout {
        Layout::Workspaces => "one component per workspace member",
        Layout::SourceDirectories => "one component per directory under src/",
    };
    let mut text = format!(
        "# lanes.yml: written by `lanes init`, {found}.\n\
         # `lanes validate` checks it; `lanes schema` prints its JSON Schema for editors.\n\
         version: 1\n\
         {}\
         {}\
         # Files that are inputs of none (wins over every other glob):\n\
         ignore: [\"**/*.md\"]\n\
         components:\n",
        phase.map_or("", |phase| match phase {
            1 => "branches: { default: main, release: release }\n",
            _ => "branches: { default: main }\n",
        }),
        root_sections(root_files),
    );
    for component in components {
        writeln!(text, "  {}:", component.name).expect("writing to a string");
        if component.linked.is_empty() {
            writeln!(text, "    path: {}", quoted(&component.dir)).expect("writing to a string");
        } else {
            let globs: Vec<String> = std::iter::once(format!("{}/**", component.dir))
                .chain(component.linked.iter().cloned())
                .map(|glob| quoted(&glob))
                .collect();
            writeln!(text, "    paths: [{}]", globs.join(", ")).expect("writing to a string");
        }
        if !component.depends_on.is_empty() {
            writeln!(
                text,
                "    depends_on: [{}]",
                component.depends_on.join(", ")
            )
            .expect("writing to a string");
        }
        if !component.dev_depends_on.is_empty() {
            writeln!(
                text,
                "    dev_depends_on: [{}]",
                component.dev_depends_on.join(", ")
            )
            .expect("writing to a string");
        }
    }
    if let Some(phase) = phase {
        text.push_str(&lane_for(phase));
        return text;
    }
    text.push_str(
        "# The lane every affected component walks, in order. Steps get their context in\n\
         # LANES_* environment variables (LANES_COMPONENT, LANES_COMPONENT_PATH, ...).\n\
         # environments:\n\
         #   test: { lock: newest-wins }\n\
         #   prod: { approval: { required: 1 } }\n\
         # stages:\n\
         #   - { name: pr, run: [\"make -C $LANES_COMPONENT_PATH build test\"] }\n\
         #   - { name: integration, environment: test, deploy: ./deploy.sh, run: [./e2e.sh] }\n\
         #   - { name: production, environment: prod, deploy: ./deploy.sh, gate: approval }\n",
    );
    text
}

/// `shared` with the root build files found (commented out when there are none) and
/// `central` with the central files found.
fn root_sections(root_files: &RootFiles) -> String {
    let mut text = String::new();
    if root_files.shared.is_empty() {
        text.push_str("# Files that are inputs of every component:\n# shared: [\"global.json\", \"build/**\"]\n");
    } else {
        let files: Vec<String> = root_files.shared.iter().map(|file| quoted(file)).collect();
        writeln!(
            text,
            "# Files that are inputs of every component (the root build files found):\nshared: [{}]",
            files.join(", ")
        )
        .expect("writing to a string");
    }
    if !root_files.central.is_empty() {
        text.push_str("# Files many components read one entry of: a change affects only the components\n# whose entries changed.\ncentral:\n");
        for (path, kind) in &root_files.central {
            writeln!(text, "  - {{ path: {}, kind: {kind} }}", quoted(path))
                .expect("writing to a string");
        }
    }
    text
}

/// The lane of a migration phase. Phase 1: production deploys what was merged into `release`
/// after integration passed; phase 2: production deploys the default branch after approval and
/// hotfixes are cut from the production tag; phase 3: every green default-branch commit is
/// deployed to production, no approval. All three accept changes through `lanes submit`.
fn lane_for(phase: u8) -> String {
    let integration_merge = if phase == 1 {
        ", on_success: merge-release"
    } else {
        ""
    };
    let production_gate = if phase == 3 { "" } else { ", gate: approval" };
    let approval = if phase == 3 {
        "{ lock: fifo }"
    } else {
        "{ lock: fifo, approval: { required: 1, self_approval: false } }"
    };
    let hotfix = if phase == 2 {
        "# A hotfix (`lanes hotfix <component>`) walks only these stages, then is forward-ported.\n\
         hotfix: { stages: [pr, staging, production] }\n"
    } else {
        ""
    };
    let approvers = if phase == 3 {
        ""
    } else {
        "# Production waits for the approval of a component's `approvers: [...]` (add them above),\n\
         # each named with the email addresses of their commits, so that nobody approves their own:\n\
         # identities: { alice: [alice@example.com] }\n"
    };
    format!(
        "# Phase {phase}: the lane every affected component walks, in order. Steps get their context\n\
         # in LANES_* environment variables (LANES_COMPONENT, LANES_COMPONENT_PATH, ...).\n\
         {approvers}\
         environments:\n\
         \x20 accept: {{ instances: per-component }}\n\
         \x20 test: {{ lock: newest-wins }}\n\
         \x20 staging: {{}}\n\
         \x20 prod: {approval}\n\
         {hotfix}\
         # A pull request or any branch that is not main walks only these (they deploy nothing);\n\
         # it goes further once it reaches main through `lanes submit`.\n\
         proposed: {{ stages: [pr] }}\n\
         stages:\n\
         \x20 - {{ name: pr, run: [\"make -C $LANES_COMPONENT_PATH build test\"] }}\n\
         \x20 - {{ name: acceptance, environment: accept, deploy: ./deploy.sh, run: [./acceptance.sh], on_success: merge-default }}\n\
         \x20 - {{ name: integration, environment: test, deploy: ./deploy.sh, run: [./e2e.sh]{integration_merge} }}\n\
         \x20 - {{ name: staging, environment: staging, deploy: ./deploy.sh }}\n\
         \x20 - {{ name: production, environment: prod, deploy: ./deploy.sh{production_gate} }}\n"
    )
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}
