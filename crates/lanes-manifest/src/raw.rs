//! The manifest as written: serde structs that mirror `lanes.yml` key for key.
//!
//! Nothing here is validated beyond YAML types and known keys; `validate` turns a
//! `RawManifest` into a `Manifest`. The JSON Schema is generated from these types, so a doc
//! comment here is what an editor shows on hover.

use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// `lanes.yml`: the components of a monorepo and the lane every one of them walks.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "lanes.yml")]
pub(crate) struct RawManifest {
    /// Manifest format version; this lanes reads version 1.
    #[schemars(with = "u32")]
    pub(crate) version: Spanned<u32>,
    /// The branches lanes merges into.
    #[serde(default)]
    pub(crate) branches: Option<RawBranches>,
    /// Globs of files that are inputs of every component: a change here affects them all.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) shared: Vec<Spanned<String>>,
    /// Globs of files that are inputs of no component (wins over every other glob).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) ignore: Vec<Spanned<String>>,
    /// Central files: files many components read one entry of (central package versions,
    /// lockfiles), each with its kind. A change affects only the components whose entries
    /// changed; what lanes cannot attribute affects every component reading the file.
    #[serde(default)]
    pub(crate) central: Vec<RawCentral>,
    /// Names of environment variables holding secrets: lanes passes them to steps and masks
    /// their values in every log.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) secrets: Vec<Spanned<String>>,
    /// Who each approver is in git: the email addresses their commits carry, by approver name.
    /// An approver is recognised as an author or committer of a change only through these
    /// addresses (never by a name or the part before `@`), and one without an entry may not
    /// approve where self-approval is not allowed.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub(crate) identities: HashMap<Spanned<String>, Vec<Spanned<String>>>,
    /// The components, by name.
    #[schemars(with = "BTreeMap<String, RawComponent>")]
    pub(crate) components: HashMap<Spanned<String>, RawComponent>,
    /// The places stages deploy to, by name.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawEnvironment>")]
    pub(crate) environments: HashMap<Spanned<String>, RawEnvironment>,
    /// The lane: the stages every affected component walks, in order.
    #[serde(default)]
    pub(crate) stages: Vec<RawStage>,
    /// How `lanes submit` accepts changes and merges them into the default branch.
    #[serde(default)]
    pub(crate) queue: Option<RawQueue>,
    /// What a hotfix lane walks (`lanes hotfix`).
    #[serde(default)]
    pub(crate) hotfix: Option<RawHotfix>,
    /// What a proposed commit walks: a pull request's head, or a commit on any branch that is
    /// neither the default branch, the release branch, a queue branch nor a hotfix branch.
    #[serde(default)]
    pub(crate) proposed: Option<RawProposed>,
    /// How long the state directory keeps worktrees, artifacts and logs nothing else holds
    /// (`lanes gc`, and `lanes serve` every hour).
    #[serde(default)]
    pub(crate) retention: Option<RawRetention>,
}

/// What `lanes gc` keeps beyond what is deployed, last known good, last green or still in use.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Retention")]
pub(crate) struct RawRetention {
    /// How many days a worktree, an artifact or a log touched since is kept (default 14; at
    /// least 1).
    #[schemars(with = "Option<u32>", range(min = 1))]
    pub(crate) days: Option<Spanned<u32>>,
}

/// Proposed commits: never reviewed nor merged, so they walk only stages that touch nothing
/// shared.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Proposed")]
pub(crate) struct RawProposed {
    /// The stages a proposed commit walks, by name (default: the stages before the first one
    /// that deploys, gates or merges); the others are skipped. None of them may deploy to an
    /// environment, wait for an approval or merge.
    #[schemars(with = "Vec<String>")]
    pub(crate) stages: Vec<Spanned<String>>,
}

/// A central file and how to read it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Central")]
pub(crate) struct RawCentral {
    /// The file, relative to the repository root (no glob).
    #[schemars(with = "String")]
    pub(crate) path: Spanned<String>,
    /// `nuget-central` (`Directory.Packages.props`), `cargo-lock` (`Cargo.lock`),
    /// `cargo-workspace` (the root `Cargo.toml`'s `[workspace.dependencies]`), `pnpm-lock`
    /// (`pnpm-lock.yaml`), `npm-lock` (`package-lock.json`) or `yarn-lock` (`yarn.lock` of
    /// Yarn 2 and later).
    pub(crate) kind: RawCentralKind,
}

/// The kinds of central files lanes reads by entry.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "CentralKind")]
pub(crate) enum RawCentralKind {
    NugetCentral,
    CargoLock,
    CargoWorkspace,
    PnpmLock,
    NpmLock,
    YarnLock,
}

/// The acceptance queue of `lanes submit`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Queue")]
pub(crate) struct RawQueue {
    /// `component` (default): changes touching disjoint components are accepted in parallel and
    /// only changes sharing a component are ordered; `shared`: one queue orders every change.
    pub(crate) split: Option<RawQueueSplit>,
    /// How an accepted change enters the default branch: `fast-forward` (default; a merge
    /// commit only when the change is not based on the branch's tip) or `merge-commit`
    /// (always one).
    pub(crate) merge: Option<RawMergeStyle>,
}

/// How the acceptance queue is split.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "QueueSplit")]
pub(crate) enum RawQueueSplit {
    Component,
    Shared,
}

/// How accepted changes are merged.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "MergeStyle")]
pub(crate) enum RawMergeStyle {
    FastForward,
    MergeCommit,
}

/// Hotfix lanes: cut from the commit deployed in production, deployed after approval, then
/// forward-ported to the default branch.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Hotfix")]
pub(crate) struct RawHotfix {
    /// The stages a hotfix walks, by name (default: every stage); the others are skipped. The
    /// stage deploying to production must be one of them.
    #[schemars(with = "Vec<String>")]
    pub(crate) stages: Vec<Spanned<String>>,
}

/// Branch names lanes uses.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Branches")]
pub(crate) struct RawBranches {
    /// The default branch, where accepted changes are merged (default `main`).
    #[schemars(with = "Option<String>")]
    pub(crate) default: Option<Spanned<String>>,
    /// The release branch production deploys from (phase 1 only).
    #[schemars(with = "Option<String>")]
    pub(crate) release: Option<Spanned<String>>,
}

/// A named part of the repository.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Component")]
pub(crate) struct RawComponent {
    /// A directory: shorthand for `paths: ["<dir>/**"]`.
    #[schemars(with = "Option<String>")]
    pub(crate) path: Option<Spanned<String>>,
    /// Globs of the files this component owns; a leading `!` excludes.
    #[schemars(with = "Option<Vec<String>>")]
    pub(crate) paths: Option<Vec<Spanned<String>>>,
    /// Components this one depends on: a change there affects this one too.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) depends_on: Vec<Spanned<String>>,
    /// Components whose changes this one's tests or build read but that need not be deployed
    /// before it (dev-dependencies): a change there affects this one too, they do not order
    /// deploys, and cycles through them are allowed.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) dev_depends_on: Vec<Spanned<String>>,
    /// Who may approve this component's gated stages.
    #[serde(default)]
    pub(crate) approvers: Vec<String>,
    /// Per-stage overrides of the lane's commands, by stage name.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawStageOverride>")]
    pub(crate) stages: HashMap<Spanned<String>, RawStageOverride>,
}

/// What a component changes in one stage of its lane.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "StageOverride")]
pub(crate) struct RawStageOverride {
    /// The stage's steps for this component, replacing the lane's.
    pub(crate) run: Option<Vec<String>>,
    /// How this component deploys, replacing the lane's.
    pub(crate) deploy: Option<String>,
}

/// A place stages deploy to; it holds one version of each component.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Environment")]
pub(crate) struct RawEnvironment {
    /// `shared` (one instance) or `per-component` (each lane gets its own instance, the other
    /// components at their last known good versions).
    #[serde(default)]
    pub(crate) instances: Option<RawInstances>,
    /// How concurrent deploys of one component queue: `fifo` or `newest-wins`.
    #[serde(default)]
    pub(crate) lock: Option<RawLock>,
    /// Approvals a stage deploying here needs when its gate is `approval`.
    #[serde(default)]
    pub(crate) approval: Option<RawApproval>,
    /// Tag every deploy here in git as `lanes/<environment>/<component>/<n>` (production,
    /// the environment of the last stage that deploys, is always tagged).
    #[serde(default)]
    pub(crate) tag: bool,
    /// Where decisions about this environment (approve, reject, retry, promote, rollback) may
    /// be taken: `anywhere` (default: the local command line with `--as` too) or `server`
    /// (only by the holder of an API token: the dashboard, the API, `lanes --server`).
    #[serde(default)]
    pub(crate) decisions: Option<RawDecisions>,
}

/// Where decisions about an environment may be taken.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "Decisions")]
pub(crate) enum RawDecisions {
    Anywhere,
    Server,
}

/// How many instances an environment has.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "Instances")]
pub(crate) enum RawInstances {
    Shared,
    PerComponent,
}

/// How deploys of one component to one environment queue.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "Lock")]
pub(crate) enum RawLock {
    Fifo,
    NewestWins,
}

/// Approval rules.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Approval")]
pub(crate) struct RawApproval {
    /// How many distinct approvers are needed (default 1).
    #[schemars(with = "Option<u32>")]
    pub(crate) required: Option<Spanned<u32>>,
    /// Whether the change's own author may approve it (default false).
    pub(crate) self_approval: Option<bool>,
}

/// One stage of the lane.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Stage")]
pub(crate) struct RawStage {
    /// The stage's name, unique in the lane (`pr`, `acceptance`, `production` ...).
    #[schemars(with = "String")]
    pub(crate) name: Spanned<String>,
    /// Shell commands run in order; context comes in `LANES_*` environment variables.
    #[serde(default)]
    pub(crate) run: Vec<String>,
    /// The environment this stage deploys to before its steps run.
    #[schemars(with = "Option<String>")]
    pub(crate) environment: Option<Spanned<String>>,
    /// Shell command that deploys a version into `environment`.
    #[schemars(with = "Option<String>")]
    pub(crate) deploy: Option<Spanned<String>>,
    /// What must hold before the stage starts, besides the previous stage being green.
    pub(crate) gate: Option<RawGate>,
    /// What lanes does with the commit once the stage passed for every affected component.
    pub(crate) on_success: Option<RawOnSuccess>,
    /// How many times a failed step is attempted again (builds and tests only, never deploys).
    #[serde(default)]
    pub(crate) retries: u32,
    /// How long each step may run, like `90s`, `30m` or `1h30m`; a step past it is stopped and
    /// fails.
    #[schemars(with = "Option<String>")]
    pub(crate) timeout: Option<Spanned<String>>,
}

/// A stage gate.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "Gate")]
pub(crate) enum RawGate {
    /// Wait for the component's approvers.
    Approval,
}

/// An action after a stage passed.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "OnSuccess")]
pub(crate) enum RawOnSuccess {
    /// Merge the change into the default branch.
    MergeDefault,
    /// Merge the commit into the release branch.
    MergeRelease,
}
