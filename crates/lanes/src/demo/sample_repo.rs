//! The sample monorepo: eight components of a health-data platform under `src/`, with .NET
//! project references and an npm front end that match the dependencies in its lanes.yml, and a
//! short history in which each commit touches something different.

use std::fmt::Write as _;

/// The manifest the sample repository commits.
pub(crate) const MANIFEST: &str = include_str!("lanes.yml");

/// The build: the component's files become its artifact, stamped with the version.
const BUILD: &str = "set -e\necho \"building $LANES_COMPONENT $LANES_VERSION\"\ncp -R \"$LANES_COMPONENT_PATH/.\" \"$LANES_ARTIFACTS/\"\necho \"$LANES_VERSION\" > \"$LANES_ARTIFACTS/VERSION\"\n";

/// The unit tests: red when a file of the component says BROKEN.
const TEST: &str = "if grep -rl BROKEN \"$LANES_COMPONENT_PATH\"; then\n  echo \"tests of $LANES_COMPONENT failed\" >&2\n  exit 1\nfi\necho \"tests of $LANES_COMPONENT passed\"\n";

/// The deploy: the artifact goes into the directory standing for the environment instance,
/// with the version vector it must hold.
const DEPLOY: &str = "set -e\nmkdir -p \"$LANES_PLACE/$LANES_COMPONENT\"\ncp -R \"$LANES_ARTIFACTS/.\" \"$LANES_PLACE/$LANES_COMPONENT/\"\ncp \"$LANES_VECTOR\" \"$LANES_PLACE/.vector-$LANES_COMPONENT\"\nmv -f \"$LANES_PLACE/.vector-$LANES_COMPONENT\" \"$LANES_PLACE/vector.json\"\necho \"deployed $LANES_COMPONENT $(cat \"$LANES_ARTIFACTS/VERSION\") to $LANES_ENVIRONMENT/$LANES_INSTANCE\"\n";

/// Acceptance and end-to-end checks: the deployed component answers with its version.
const CHECK: &str = "test -f \"$LANES_PLACE/$LANES_COMPONENT/VERSION\"\necho \"$LANES_COMPONENT in $LANES_ENVIRONMENT answers with $(cat \"$LANES_PLACE/$LANES_COMPONENT/VERSION\")\"\n";

/// What a commit of the history does to the tree.
pub(crate) enum Edit {
    Write(&'static str, &'static str),
    Append(&'static str, &'static str),
    Rename(&'static str, &'static str),
    Delete(&'static str),
    /// Replace the first occurrence of a text in a file.
    Replace(&'static str, &'static str, &'static str),
}

pub(crate) struct Step {
    pub(crate) message: &'static str,
    pub(crate) author: (&'static str, &'static str),
    pub(crate) edits: Vec<Edit>,
}

fn csproj(references: &[&str]) -> String {
    let mut items = String::new();
    for reference in references {
        writeln!(
            items,
            "    <ProjectReference Include=\"..\\{reference}\\{reference}.csproj\" />"
        )
        .expect("writing to a string");
    }
    format!(
        "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>net8.0</TargetFramework>\n  </PropertyGroup>\n  <ItemGroup>\n{items}  </ItemGroup>\n</Project>\n"
    )
}

/// The tree of the first commit: path and contents.
pub(crate) fn initial_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = vec![
        ("lanes.yml".into(), MANIFEST.into()),
        ("README.md".into(), "# Health platform\n\nA monorepo whose components ship on their own lanes.\n".into()),
        ("global.json".into(), "{ \"sdk\": { \"version\": \"8.0.100\" } }\n".into()),
        ("build/Directory.Build.props".into(), "<Project>\n  <PropertyGroup>\n    <LangVersion>12</LangVersion>\n  </PropertyGroup>\n</Project>\n".into()),
        ("docs/architecture.md".into(), "# Architecture\n\nEight components, one lane each.\n".into()),
        ("src/Infrastructure/main.bicep".into(), "param location string = resourceGroup().location\nmodule sql 'sql.bicep' = { name: 'sql' }\n".into()),
        ("src/Infrastructure/sql.bicep".into(), "resource server 'Microsoft.Sql/servers@2023-05-01' = { name: 'sql' }\n".into()),
        ("src/Infrastructure/legacy-vm.bicep".into(), "// kept for the old telemetry VM\n".into()),
        ("src/Infrastructure/Infrastructure.csproj".into(), csproj(&[])),
        ("src/SqlManagement/SqlManagement.csproj".into(), csproj(&["Infrastructure"])),
        ("src/SqlManagement/Migrations/0001_init.sql".into(), "CREATE TABLE resources (id uuid PRIMARY KEY, body jsonb NOT NULL);\n".into()),
        ("src/Fhir/Fhir.csproj".into(), csproj(&["Infrastructure", "SqlManagement"])),
        ("src/Fhir/PatientController.cs".into(), "public class PatientController { public string Get(string id) => id; }\n".into()),
        ("src/Fhir/README.md".into(), "# FHIR server\n".into()),
        ("src/ResourceProvider/ResourceProvider.csproj".into(), csproj(&["Infrastructure"])),
        ("src/ResourceProvider/Provider.cs".into(), "public class Provider { }\n".into()),
        ("src/AccountRouting/AccountRouting.csproj".into(), csproj(&["ResourceProvider"])),
        ("src/AccountRouting/Router.cs".into(), "public class Router { public string Route(string account) => account; }\n".into()),
        ("src/IotConnector/IotConnector.csproj".into(), csproj(&["Fhir"])),
        ("src/IotConnector/DeviceMapper.cs".into(), "public class DeviceMapper { }\n".into()),
        ("src/Monitoring/Monitoring.csproj".into(), csproj(&["Infrastructure"])),
        ("src/Monitoring/alerts.json".into(), "{ \"alerts\": [] }\n".into()),
        ("src/Frontend/package.json".into(), "{ \"name\": \"frontend\", \"private\": true, \"scripts\": { \"test\": \"node test.js\" } }\n".into()),
        ("src/Frontend/app.js".into(), "export const title = 'Health platform';\n".into()),
        ("src/Frontend/__snapshots__/app.snap".into(), "title: Health platform\n".into()),
        ("ci/build.sh".into(), BUILD.into()),
        ("ci/test.sh".into(), TEST.into()),
        ("ci/deploy.sh".into(), DEPLOY.into()),
        ("ci/check.sh".into(), CHECK.into()),
    ];
    files.sort();
    files
}

/// The commits of the lanes part of the demo: a red test, then its fix.
pub(crate) fn red_and_fix() -> (Step, Step) {
    (
        Step {
            message: "Fhir: stricter patient validation",
            author: ("Alice", "alice@example.com"),
            edits: vec![
                Edit::Replace(
                    "src/Fhir/PatientController.cs",
                    "=> Validate(id);",
                    "=> Validate(id); // BROKEN: rejects valid ids",
                ),
                Edit::Append("src/Monitoring/alerts.json", "\n"),
            ],
        },
        Step {
            message: "Fhir: accept every valid patient id",
            author: ("Alice", "alice@example.com"),
            edits: vec![Edit::Replace(
                "src/Fhir/PatientController.cs",
                " // BROKEN: rejects valid ids",
                " // valid ids pass",
            )],
        },
    )
}

/// The path through git: a change submitted from a branch, then a hotfix of it in production.
pub(crate) fn feature_and_hotfix() -> (Step, Step) {
    (
        Step {
            message: "Frontend: search patients by name",
            author: ("Ines", "ines@example.com"),
            edits: vec![Edit::Append(
                "src/Frontend/app.js",
                "export const search = (name) => `/patients?name=${name}`;\n",
            )],
        },
        Step {
            message: "Frontend: escape the searched name",
            author: ("Ines", "ines@example.com"),
            edits: vec![Edit::Replace(
                "src/Frontend/app.js",
                "name=${name}",
                "name=${encodeURIComponent(name)}",
            )],
        },
    )
}

/// The last commit: a change left waiting at the production approval for the person watching
/// the dashboard. Mia wrote it, so olga, the other approver of monitoring, decides.
pub(crate) fn awaiting_approval() -> Step {
    Step {
        message: "Monitoring: page the on-call when fhir is slow",
        author: ("Mia", "mia@example.com"),
        edits: vec![Edit::Write(
            "src/Monitoring/alerts.json",
            "{ \"alerts\": [\"fhir-latency\"], \"page\": \"on-call\" }\n",
        )],
    }
}

/// The commits after the first one.
pub(crate) fn history() -> Vec<Step> {
    vec![
        Step {
            message: "Fhir: validate patient resources",
            author: ("Alice", "alice@example.com"),
            edits: vec![Edit::Replace(
                "src/Fhir/PatientController.cs",
                "=> id;",
                "=> Validate(id);",
            )],
        },
        Step {
            message: "Docs: describe the FHIR server",
            author: ("Dan", "dan@example.com"),
            edits: vec![
                Edit::Append("src/Fhir/README.md", "\nServes FHIR R4 resources.\n"),
                Edit::Append("docs/architecture.md", "\nSee each component's README.\n"),
            ],
        },
        Step {
            message: "Frontend: refresh snapshots",
            author: ("Fay", "fay@example.com"),
            edits: vec![Edit::Append(
                "src/Frontend/__snapshots__/app.snap",
                "subtitle: lanes\n",
            )],
        },
        Step {
            message: "AccountRouting: rename the router",
            author: ("Raj", "raj@example.com"),
            edits: vec![Edit::Rename(
                "src/AccountRouting/Router.cs",
                "src/AccountRouting/AccountRouter.cs",
            )],
        },
        Step {
            message: "Build: raise the language version",
            author: ("Bob", "bob@example.com"),
            edits: vec![Edit::Replace(
                "build/Directory.Build.props",
                "<LangVersion>12",
                "<LangVersion>13",
            )],
        },
        Step {
            message: "Monitoring: add an alert and an approver",
            author: ("Mia", "mia@example.com"),
            edits: vec![
                Edit::Write(
                    "src/Monitoring/alerts.json",
                    "{ \"alerts\": [\"fhir-latency\"] }\n",
                ),
                Edit::Replace(
                    "lanes.yml",
                    "    approvers: [olga]\n  frontend:",
                    "    approvers: [olga, mia]\n  frontend:",
                ),
            ],
        },
        Step {
            message: "Infrastructure: remove the legacy VM",
            author: ("Ines", "ines@example.com"),
            edits: vec![Edit::Delete("src/Infrastructure/legacy-vm.bicep")],
        },
    ]
}
