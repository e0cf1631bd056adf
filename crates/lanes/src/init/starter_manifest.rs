//! The text `lanes init` writes: the discovered components, and the lane sketched in comments
//! for the team to fill in.

use std::fmt::Write as _;

use crate::init::{DiscoveredComponent, Layout};

pub(crate) fn starter_manifest(layout: Layout, components: &[DiscoveredComponent]) -> String {
    let found = match layout {
        Layout::Workspaces => "one component per workspace member",
        Layout::SourceDirectories => "one component per directory under src/",
    };
    let mut text = format!(
        "# lanes.yml: written by `lanes init`, {found}.\n\
         # `lanes validate` checks it; `lanes schema` prints its JSON Schema for editors.\n\
         version: 1\n\
         # Files that are inputs of every component:\n\
         # shared: [\"global.json\", \"build/**\"]\n\
         # Files that are inputs of none (wins over every other glob):\n\
         ignore: [\"**/*.md\"]\n\
         components:\n"
    );
    for component in components {
        writeln!(text, "  {}:", component.name).expect("writing to a string");
        writeln!(text, "    path: {}", quoted(&component.dir)).expect("writing to a string");
        if !component.depends_on.is_empty() {
            writeln!(
                text,
                "    depends_on: [{}]",
                component.depends_on.join(", ")
            )
            .expect("writing to a string");
        }
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

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}
