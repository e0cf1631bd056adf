//! The command line: every command, its flags and their documentation.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Per-component pipelines for monorepos.
///
/// Every component of the repository walks its own lane from pull request to production; a red
/// component never blocks the others.
#[derive(Debug, Parser)]
#[command(
    name = "lanes",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    /// Run as if lanes was started in this directory.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub(crate) directory: Option<PathBuf>,

    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub(crate) color: ColorChoice,

    /// Talk to a `lanes serve` at this URL instead of the local ledger (status, board, logs,
    /// run, approve, reject, retry, promote, rollback, submit, hotfix, audit, metrics), with the
    /// API token in `LANES_API_TOKEN`.
    #[arg(long, global = true, env = "LANES_SERVER", value_name = "URL")]
    pub(crate) server: Option<String>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset.
    Auto,
    Always,
    Never,
}

/// What follows every command's help: the exit statuses scripts can rely on.
pub(crate) const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success (an empty answer is a success)
  1  any other failure (reading or writing files, ...)
  2  the command line is wrong
  3  lanes.yml is missing or invalid
  4  a revision cannot be resolved or compared (unknown, missing from a shallow clone, or sharing no history with the other)
  5  a lane failed or needs a decision (lanes run), or a decision was refused (approve, reject, retry)
  130  interrupted (Ctrl-C); running it again resumes";

/// Each command's arguments are built only when it runs (or its help is shown): building
/// every command's arguments at each start was a measurable part of a `lanes affected` run.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub(crate) enum Command {
    /// Write a lanes.yml for an existing repository, one component per directory under src/ or
    /// per workspace member.
    #[command(after_help = EXIT_STATUS_HELP)]
    Init(InitArgs),
    /// Check lanes.yml and report every problem with its place in the file.
    #[command(after_help = EXIT_STATUS_HELP)]
    Validate(ValidateArgs),
    /// Print the JSON Schema of lanes.yml, for editor completion and checks.
    Schema,
    /// Show the component graph.
    #[command(after_help = EXIT_STATUS_HELP)]
    Graph(GraphArgs),
    /// List the components a change affects, directly or through their dependencies.
    ///
    /// Compares HEAD (or --head) with the merge base of --base and HEAD: what a pull request
    /// from HEAD into --base changes. Renamed files count at both paths, deleted files count, a
    /// change to a `shared` file affects every component, a change to an `ignore`d file none,
    /// and a change to lanes.yml affects the components whose definition changed.
    #[command(after_help = EXIT_STATUS_HELP)]
    Affected(AffectedArgs),
    /// Print a content hash of every component's inputs at a revision.
    ///
    /// Computed from git object ids (no file is read), the component's definition in lanes.yml
    /// and its dependencies' fingerprints: the same inputs give the same fingerprint in any
    /// clone, and any change to an input or a dependency changes it.
    #[command(after_help = EXIT_STATUS_HELP)]
    Fingerprint(FingerprintArgs),
    /// Run the lanes of a commit: every affected component walks its stages until it is done,
    /// fails, or waits at a gate.
    ///
    /// Steps run as child processes in a working tree of the exact commit (under the state
    /// directory, never your checkout), with their context in LANES_* environment variables.
    /// Running it again resumes: finished stages are kept, builds interrupted by a crash run
    /// again, and interrupted deploys wait for `lanes retry` or a rollback.
    #[command(after_help = EXIT_STATUS_HELP)]
    Run(RunArgs),
    /// The unified view of a commit: each lane, stage by stage, and why it waits.
    #[command(after_help = STATUS_HELP)]
    Status(StatusArgs),
    /// Components by environments: what is deployed where, the last known good version, how
    /// far behind the default branch, drift and versions marked bad.
    #[command(after_help = EXIT_STATUS_HELP)]
    Board(BoardArgs),
    /// Approve the version of a component waiting at a gated stage.
    #[command(after_help = EXIT_STATUS_HELP)]
    Approve(DecisionArgs),
    /// Reject the version of a component waiting at a gated stage: its lane ends there.
    #[command(after_help = EXIT_STATUS_HELP)]
    Reject(RejectArgs),
    /// Run an interrupted deploy again (then `lanes run` continues the lane).
    #[command(after_help = EXIT_STATUS_HELP)]
    Retry(DecisionArgs),
    /// Move a component's newest ready version into an environment now: its lane runs the
    /// stage that deploys there, and no further (gates still hold).
    #[command(after_help = EXIT_STATUS_HELP)]
    Promote(PromoteArgs),
    /// Roll a component back in an environment: its current version is marked bad (never
    /// promoted again) and the previous last known good version is deployed again.
    #[command(after_help = EXIT_STATUS_HELP)]
    Rollback(RollbackArgs),
    /// Put finished changes into the acceptance queue and walk them to the default branch.
    ///
    /// Each branch becomes a change: lanes builds an intermediate branch `lanes/accept/<id>`
    /// holding the default branch, the changes ahead of it in the queue that share a component
    /// with it, and the change; runs the affected components' lanes up to the stage with
    /// `on_success: merge-default` against the last known good versions of the others; and,
    /// once nothing is ahead and every lane passed, moves the default branch to it and deletes
    /// the intermediate branch. A change that fails leaves the queue and evicts nobody. Several
    /// branches are one batch, accepted together and bisected when the batch fails. Then the
    /// merged commits' lanes go on (integration, the release merge, staging, production and
    /// its tags) like `lanes run`. With a remote `origin`, branches are fetched from and
    /// pushed to it. Submitting a branch again resumes its change.
    #[command(after_help = EXIT_STATUS_HELP)]
    Submit(SubmitArgs),
    /// The acceptance queue.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Cut `hotfix/<component>/<n>` from the commit tagged as deployed in production.
    ///
    /// Commit the fix on that branch, then `lanes run hotfix/<component>/<n>`: its lane walks
    /// the stages `hotfix.stages` lists, waits for production's approval, deploys, and is then
    /// cherry-picked onto the default branch and submitted to the queue. Until a version carries
    /// the fix, no other version of the component is deployed to production.
    #[command(after_help = EXIT_STATUS_HELP)]
    Hotfix(HotfixArgs),
    /// Print the log of a stage of a component's lane.
    #[command(after_help = EXIT_STATUS_HELP)]
    Logs(LogsArgs),
    /// Build a sample monorepo and show lanes at work on its history.
    ///
    /// What each commit affects, then real lanes to production: a red component stops alone, a
    /// fix, a rollback, a change submitted from a branch, a hotfix, and last a change deployed
    /// to staging and waiting for production's approval. A summary per act; --verbose shows
    /// every step. Then it serves the dashboard until Ctrl-C or SIGTERM, printing the token of
    /// olga, who may approve the waiting change, and a viewer's. The temporary directory it
    /// builds in is removed when it ends, unless --keep; a --dir is yours and stays. Hints name
    /// lanes as you can run it: `lanes -C DIR`, or this binary's path when `lanes` on the PATH
    /// is another program or none.
    #[command(after_help = EXIT_STATUS_HELP)]
    Demo(DemoArgs),
    /// Serve webhooks, the HTTP API and the dashboard, and run the lanes of every commit the
    /// git host reports, until interrupted.
    ///
    /// Webhook credentials come from the environment: `LANES_GITHUB_SECRET`,
    /// `LANES_GITLAB_TOKEN`, `LANES_AZURE_DEVOPS_USER` and `LANES_AZURE_DEVOPS_PASSWORD` (a host whose variable is unset
    /// has no endpoint; an empty one is refused). Prints the server's address on stdout.
    #[command(after_help = EXIT_STATUS_HELP)]
    Serve(ServeArgs),
    /// Make or revoke API tokens of the server.
    #[command(after_help = EXIT_STATUS_HELP)]
    Token(TokenArgs),
    /// Print every decision people took, oldest first: approvals, rejections, retries,
    /// promotions and rollbacks, with who took them, when, about which version and
    /// environment, and under which API token (or on the command line).
    #[command(after_help = EXIT_STATUS_HELP)]
    Audit(AuditArgs),
    /// Print delivery metrics per component from the ledger, with DORA's performance levels:
    /// deployment frequency, change lead time (split into time working and time waiting for
    /// the queue, a lock, an approval or a gate), change fail rate, failed deployment recovery
    /// time and deployment rework rate.
    ///
    /// A deploy's changes are the commits touching the component between the deploy before it
    /// and it; a deploy failed when a rollback followed it, its version was marked bad or a
    /// hotfix was cut from it. The levels are those of the 2023 Accelerate State of DevOps
    /// Report (DORA).
    #[command(after_help = EXIT_STATUS_HELP)]
    Metrics(MetricsArgs),
    /// Remove the worktrees, artifacts, logs and vectors of the state directory that nothing
    /// holds any more.
    ///
    /// Kept: the artifacts, logs and vectors of every version deployed in an environment
    /// instance, of each environment's last known good version and of what a rollback there
    /// would deploy, and of each component's last green lane; everything a lane that has not
    /// ended uses (its worktree too), the worktree of a commit a `lanes run` is running; and
    /// whatever was touched within `retention.days` of lanes.yml at HEAD (default 14). Prints
    /// what it removed, and with --verbose what it kept and why. `lanes serve` does the same
    /// every hour.
    #[command(after_help = EXIT_STATUS_HELP)]
    Gc(GcArgs),
}

#[derive(Debug, Args)]
pub(crate) struct GcArgs {
    /// Print what would be removed, and remove nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print JSON on stdout: what was removed and what was kept, with why.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also print each item kept, with why.
    #[arg(long, short = 'v')]
    pub(crate) verbose: bool,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Args)]
pub(crate) struct MetricsArgs {
    /// Only this component (default: every component with a lane).
    #[arg(long)]
    pub(crate) component: Option<String>,
    /// The environment measured (default: production, the environment of the last stage that
    /// deploys).
    #[arg(long, value_name = "ENV")]
    pub(crate) environment: Option<String>,
    /// How far back to look: a number and a unit, `m`inutes, `h`ours, `d`ays or `w`eeks.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_window)]
    pub(crate) since: Window,
    /// Print JSON on stdout (what `GET /api/v1/metrics` answers).
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

/// A span of time back from now, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window(pub(crate) i64);

/// `30d`, `12h`, `90m`, `2w`.
pub(crate) fn parse_window(text: &str) -> Result<Window, String> {
    lanes_engine::parse_window(text).map(Window)
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Only the decisions about this component.
    #[arg(long)]
    pub(crate) component: Option<String>,
    /// Only the decisions about this environment.
    #[arg(long, value_name = "ENV")]
    pub(crate) environment: Option<String>,
    /// Print JSON on stdout: an array of decisions.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Args)]
pub(crate) struct ManifestArg {
    /// The manifest to read (default: lanes.yml at the repository root, or in the current
    /// directory outside a repository).
    #[arg(long, value_name = "FILE")]
    pub(crate) manifest: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Print the manifest instead of writing lanes.yml.
    #[arg(long)]
    pub(crate) stdout: bool,
    /// Write the lane of a migration phase: 1 deploys production from the `release` branch
    /// (merged after integration), 2 deploys the default branch after approval and uses hotfix
    /// branches, 3 deploys every green default-branch commit continuously.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=3))]
    pub(crate) phase: Option<u8>,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub(crate) manifest: ManifestArg,
    /// Print the result and every diagnostic as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    #[command(flatten)]
    pub(crate) manifest: ManifestArg,
    /// Print Graphviz DOT (`lanes graph --dot | dot -Tsvg > graph.svg`).
    #[arg(long, conflicts_with = "json")]
    pub(crate) dot: bool,
    /// Print the graph as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AffectedArgs {
    /// The revision the change goes into (default: the manifest's default branch).
    #[arg(long, value_name = "REV")]
    pub(crate) base: Option<String>,
    /// The revision holding the change.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub(crate) head: String,
    /// Compare --base and --head directly instead of the merge base and --head.
    #[arg(long)]
    pub(crate) no_merge_base: bool,
    /// Say for each component why it is affected.
    #[arg(long)]
    pub(crate) explain: bool,
    /// Print JSON on stdout: {"components": [{"name", "direct", "reasons"}], ...}, sorted by name.
    #[arg(long, conflicts_with = "explain")]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FingerprintArgs {
    /// The revision to fingerprint.
    #[arg(value_name = "REV", default_value = "HEAD")]
    pub(crate) rev: String,
    /// Print JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What `lanes status --help` adds: the states and the JSON contract.
pub(crate) const STATUS_HELP: &str = "\
Stage states:
  pending      not started: an earlier stage has not finished
  running      its deploy or steps are running
  waiting      held by a gate: an approval, an environment lock or queue (the reason says which)
  succeeded    passed (flaky when only on a retry)
  failed       a step failed or the version was rejected; the lane stops
  unchanged    the same version already passed this stage; nothing ran (the commit that passed is given)
  interrupted  lanes stopped during its deploy; retry it or roll back
  canceled     will not run: an earlier stage failed or a newer version superseded this one

JSON (--json): {\"commit\": \"<sha>\", \"lanes\": [{\"component\": \"<name>\", \"done\": bool,
  \"stages\": [{\"name\": \"<stage>\", \"state\": \"<state>\", \"reason\", \"provenance\", ...}]}]}";

#[derive(Debug, Args)]
pub(crate) struct StateArg {
    /// Where lanes keeps its ledger, artifacts and logs (default: `LANES_STATE_DIR`, else
    /// `.git/lanes`).
    #[arg(long, value_name = "DIR", global = true)]
    pub(crate) state_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The commit whose lanes to run.
    #[arg(value_name = "REV", default_value = "HEAD")]
    pub(crate) rev: String,
    /// How many attempts run at once [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Print every ledger event as a JSON line on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Push what passed stages ask for (release merges, deploy tags, a hotfix's forward-port)
    /// to `origin`. Without it a local run leaves the shared remote alone; `lanes serve` and
    /// `lanes submit` always push.
    #[arg(long)]
    pub(crate) push: bool,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

/// `--jobs` when not given: the number of CPUs. Asked only then, not while parsing: reading the
/// cgroup limits took part of every command's start.
pub(crate) fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// The commit to show.
    #[arg(value_name = "REV", default_value = "HEAD")]
    pub(crate) rev: String,
    /// Print JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Args)]
pub(crate) struct BoardArgs {
    /// Print JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Args)]
pub(crate) struct DecisionArgs {
    /// The component whose lane waits.
    pub(crate) component: String,
    /// The stage it waits at.
    pub(crate) stage: String,
    /// Who decides (one of the component's approvers). With `LANES_API_TOKEN` set, its token
    /// must be this user's: environments with `decisions: server` need one.
    #[arg(long = "as", value_name = "USER")]
    pub(crate) user: String,
    /// The commit whose lane is meant (default: the newest lane waiting there).
    #[arg(long, value_name = "REV")]
    pub(crate) commit: Option<String>,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Args)]
pub(crate) struct RejectArgs {
    #[command(flatten)]
    pub(crate) decision: DecisionArgs,
    /// Why: recorded in the ledger and shown in the unified view.
    #[arg(long)]
    pub(crate) reason: String,
}

#[derive(Debug, Args)]
pub(crate) struct PromoteArgs {
    /// The component to promote.
    pub(crate) component: String,
    /// The environment to promote it to.
    #[arg(long, value_name = "ENV")]
    pub(crate) to: String,
    /// Who promotes (must be one of the component's approvers; recorded in the ledger).
    #[arg(long = "as", value_name = "USER")]
    pub(crate) user: String,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    /// The component to roll back.
    pub(crate) component: String,
    /// The environment to roll it back in.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: String,
    /// Who rolls back (recorded in the ledger).
    #[arg(long = "as", value_name = "USER")]
    pub(crate) user: String,
    /// Why: recorded with the version marked bad.
    #[arg(long)]
    pub(crate) reason: String,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Args)]
pub(crate) struct SubmitArgs {
    /// The branches to submit: one change each, accepted together as a batch when several.
    #[arg(value_name = "BRANCH", required = true)]
    pub(crate) branches: Vec<String>,
    /// Stop once the changes are merged (or left the queue): do not run the later stages.
    #[arg(long)]
    pub(crate) until_merged: bool,
    /// Who submits (one of the change's authors, who may not approve it) [default: git's
    /// `user.name <user.email>` here].
    #[arg(long = "as", value_name = "USER")]
    pub(crate) user: Option<String>,
    /// How many attempts run at once [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Print every ledger event as a JSON line on stdout, then the outcome as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum QueueCommand {
    /// Drive the queued changes no `lanes` process drives, because the `lanes submit` that
    /// queued them stopped: accept, merge or evict each, as that submit would have.
    ///
    /// A change driven by a live process is left to it. `lanes submit` does the same for a
    /// change it waits behind, and `lanes serve` for every queued change.
    #[command(after_help = EXIT_STATUS_HELP)]
    Drive(QueueDriveArgs),
}

#[derive(Debug, Args)]
pub(crate) struct QueueDriveArgs {
    /// Only these changes (by number) [default: every queued change].
    #[arg(value_name = "CHANGE")]
    pub(crate) changes: Vec<u64>,
    /// Stop once the changes are merged (or left the queue): do not run the later stages.
    #[arg(long)]
    pub(crate) until_merged: bool,
    /// How many attempts run at once [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Args)]
pub(crate) struct HotfixArgs {
    /// The component to fix in production.
    pub(crate) component: String,
    /// Print the new branch as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Args)]
pub(crate) struct LogsArgs {
    /// The component.
    pub(crate) component: String,
    /// The stage (default: the lane's latest stage that ran).
    pub(crate) stage: Option<String>,
    /// The commit whose lane is meant.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub(crate) commit: String,
    /// The attempt (default: the last).
    #[arg(long)]
    pub(crate) attempt: Option<u32>,
    /// Keep printing lines as the attempt writes them, until it ends.
    #[arg(long, short = 'f')]
    pub(crate) follow: bool,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Where to build the sample monorepo (must not exist or be empty); it is yours and stays
    /// afterwards. Default: a new temporary directory, removed when the demo ends.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
    /// Keep the temporary directory when the demo ends, to try lanes in it.
    #[arg(long)]
    pub(crate) keep: bool,
    /// Show everything: why each commit affects each component, and the output of every lanes
    /// command the demo runs (progress, status tables, hints). Default: a summary per act.
    #[arg(long, short = 'v')]
    pub(crate) verbose: bool,
    /// End after the lanes instead of serving the dashboard of them until interrupted.
    #[arg(long)]
    pub(crate) no_serve: bool,
    /// Where the dashboard listens.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDRESS")]
    pub(crate) bind: String,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDRESS")]
    pub(crate) bind: String,
    /// Fetch `origin` every SECONDS and run the head of the default branch when it moves: for
    /// remotes that send no webhooks.
    #[arg(long, value_name = "SECONDS")]
    pub(crate) poll: Option<u64>,
    /// How many attempts each commit's run runs at once [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// How many commits are driven at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub(crate) parallel: usize,
    /// The largest webhook body accepted, in bytes (larger ones get 413).
    #[arg(long, default_value_t = 5 * 1024 * 1024, value_name = "BYTES")]
    pub(crate) body_limit: usize,
    /// The address people reach this server at: the statuses posted to git hosts link to its
    /// commit pages [default: `http://ADDRESS` it listens on].
    #[arg(long, value_name = "URL")]
    pub(crate) public_url: Option<String>,
    /// GitHub's API (GitHub Enterprise Server: `https://HOST/api/v3`); statuses are posted with
    /// the token in `LANES_GITHUB_API_TOKEN`.
    #[arg(long, default_value = "https://api.github.com", value_name = "URL")]
    pub(crate) github_api_url: String,
    /// GitLab's API (self-managed: `https://HOST/api/v4`); statuses are posted with the token in
    /// `LANES_GITLAB_API_TOKEN`.
    #[arg(long, default_value = "https://gitlab.com/api/v4", value_name = "URL")]
    pub(crate) gitlab_api_url: String,
    /// Azure DevOps (Server: the URL its collections are under); statuses are posted with the
    /// personal access token in `LANES_AZURE_DEVOPS_API_TOKEN`.
    #[arg(long, default_value = "https://dev.azure.com", value_name = "URL")]
    pub(crate) azure_devops_url: String,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    #[command(subcommand)]
    pub(crate) action: TokenAction,
    #[command(flatten)]
    pub(crate) state: StateArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenAction {
    /// Make a token and print it (only this once). Decisions taken with it are recorded under
    /// NAME, so name it after the person.
    Add {
        /// Who holds it.
        name: String,
        /// viewer (reads), developer (also runs and promotes), approver (also approves,
        /// rejects, retries and rolls back) or admin.
        #[arg(long)]
        role: String,
    },
    /// Revoke the token named NAME.
    Revoke {
        /// Who holds it.
        name: String,
    },
}
