//! `lanes serve`: the server (webhooks, API, dashboard) over the repository's ledger, and the
//! loop that runs the lanes of the commits it is told about, until SIGINT or SIGTERM.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use lanes_server::{App, HostApi, HostApis, ServerConfig, StatusReporter, WebhookSecrets};
use lanes_store::Store;
use tokio_util::sync::CancellationToken;

use crate::cli::ServeArgs;
use crate::failure::Failure;
use crate::ledger::block_on;
use crate::output::Output;
use crate::service::{
    COLLECT_EVERY, CommandBackend, Driver, Stops, collect_every, commits_to_resume,
};
use crate::state_dir::StateDir;
use crate::workspace::{manifest_at, repository};

/// How long open connections (live logs, event streams) get to close once the server stops.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

pub(crate) fn serve(directory: &Path, args: &ServeArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let secrets = secrets_from_environment();
    secrets.check().map_err(|error| Failure::Refused {
        message: error.to_string(),
        hint: Some("set the secret to a long random value, or unset the variable to turn the host's webhooks off".to_owned()),
    })?;
    let repo_dir = repo
        .workdir()
        .unwrap_or_else(|| repo.git_dir())
        .to_path_buf();
    let default_branch = repo
        .resolve_commit("HEAD")
        .ok()
        .and_then(|head| manifest_at(&repo, head).ok().flatten())
        .map_or_else(
            || "main".to_owned(),
            |manifest| manifest.branches().default.clone(),
        );
    let state = StateDir::locate(&repo, args.state.state_dir.as_deref())?;
    let state_root = state.root().to_path_buf();
    let exe =
        std::env::current_exe().map_err(|error| Failure::io("find the lanes executable", error))?;
    let apis = host_apis_from_environment(args);
    say_hosts_without_tokens(&apis, &secrets, output);
    let config = ServerConfig {
        webhooks: secrets,
        body_limit: args.body_limit,
        ..ServerConfig::default()
    };
    block_on(async {
        let driver_store = Store::open(&state.ledger()).await.map_err(Failure::store)?;
        let reporter_store = Store::open(&state.ledger()).await.map_err(Failure::store)?;
        let resume = commits_to_resume(driver_store.world());
        let deliveries = driver_store.deliveries();
        let store = Store::open(&state.ledger()).await.map_err(Failure::store)?;
        let listener = tokio::net::TcpListener::bind(&args.bind)
            .await
            .map_err(|error| Failure::io(format!("listen on {}", args.bind), error))?;
        let address = listener
            .local_addr()
            .map_err(|error| Failure::io("read the listening address", error))?;
        let (sender, notices) = tokio::sync::mpsc::unbounded_channel();
        let backend = CommandBackend {
            exe: exe.clone(),
            repo_dir: repo_dir.clone(),
            state: state.clone(),
            state_root: state_root.clone(),
        };
        let app = App::new(config, store, sender, Arc::new(backend));
        let stop = CancellationToken::new();
        let server = tokio::spawn(lanes_server::serve(
            listener,
            app,
            stop.clone().cancelled_owned(),
        ));
        let public_url = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"));
        let reporter = StatusReporter::new(reporter_store, apis, &public_url);
        let sender = tokio::spawn(reporter.clone().send(stop.clone().cancelled_owned()));
        let collector = tokio::spawn(collect_every(
            repo.clone(),
            state.clone(),
            COLLECT_EVERY,
            stop.clone(),
        ));
        let stops = Stops::listen()?;
        output.data(&format!("http://{address}/"));
        output.say(&format!(
            "lanes serve: the dashboard is at http://{address}/ (Ctrl-C stops)"
        ));
        let driver = Driver {
            exe,
            repo_dir,
            state_root,
            jobs: args.jobs.unwrap_or_else(crate::cli::default_jobs).max(1),
            parallel: args.parallel.max(1),
            deliveries,
            reporter,
            ledger: tokio::sync::Mutex::new(driver_store),
            poll: args
                .poll
                .map(|seconds| (Duration::from_secs(seconds.max(1)), default_branch)),
        };
        let outcome = driver.run(notices, resume, stops).await;
        stop.cancel();
        let _ = tokio::time::timeout(CLOSE_GRACE, sender).await;
        let _ = tokio::time::timeout(CLOSE_GRACE, collector).await;
        if let Ok(Ok(Err(error))) = tokio::time::timeout(CLOSE_GRACE, server).await {
            return Err(Failure::Refused {
                message: crate::failure::chain(&error),
                hint: None,
            });
        }
        outcome
    })
}

/// The webhook credentials from the environment (never from the command line, where other
/// users could read them): `LANES_GITHUB_SECRET`, `LANES_GITLAB_TOKEN`,
/// `LANES_AZURE_DEVOPS_USER` with `LANES_AZURE_DEVOPS_PASSWORD`.
fn secrets_from_environment() -> WebhookSecrets {
    let variable = |name: &str| std::env::var(name).ok();
    let azure = match (
        variable("LANES_AZURE_DEVOPS_USER"),
        variable("LANES_AZURE_DEVOPS_PASSWORD"),
    ) {
        (None, None) => None,
        (user, password) => Some((user.unwrap_or_default(), password.unwrap_or_default())),
    };
    WebhookSecrets {
        github: variable("LANES_GITHUB_SECRET"),
        gitlab: variable("LANES_GITLAB_TOKEN"),
        azure_devops: azure,
    }
}

/// The hosts statuses are posted to: each one whose token is in the environment
/// (`LANES_GITHUB_API_TOKEN`, `LANES_GITLAB_API_TOKEN`, `LANES_AZURE_DEVOPS_API_TOKEN`; not
/// the webhook secrets, which only prove a delivery's sender), at the API its flag names.
fn host_apis_from_environment(args: &ServeArgs) -> HostApis {
    let api = |variable: &str, base_url: &str| {
        std::env::var(variable)
            .ok()
            .filter(|token| !token.is_empty())
            .map(|token| HostApi {
                base_url: base_url.to_owned(),
                token,
            })
    };
    HostApis {
        github: api("LANES_GITHUB_API_TOKEN", &args.github_api_url),
        gitlab: api("LANES_GITLAB_API_TOKEN", &args.gitlab_api_url),
        azure_devops: api("LANES_AZURE_DEVOPS_API_TOKEN", &args.azure_devops_url),
    }
}

/// Says once which hosts send webhooks but get no statuses back for want of a token.
fn say_hosts_without_tokens(apis: &HostApis, webhooks: &WebhookSecrets, output: &Output) {
    let missing: Vec<String> = [
        (
            "GitHub",
            "LANES_GITHUB_API_TOKEN",
            webhooks.github.is_some() && apis.github.is_none(),
        ),
        (
            "GitLab",
            "LANES_GITLAB_API_TOKEN",
            webhooks.gitlab.is_some() && apis.gitlab.is_none(),
        ),
        (
            "Azure DevOps",
            "LANES_AZURE_DEVOPS_API_TOKEN",
            webhooks.azure_devops.is_some() && apis.azure_devops.is_none(),
        ),
    ]
    .into_iter()
    .filter(|(_, _, missing)| *missing)
    .map(|(host, variable, _)| format!("{host} (set {variable})"))
    .collect();
    if !missing.is_empty() {
        output.say(&format!(
            "lanes serve: no statuses are posted to {}",
            missing.join(", ")
        ));
    }
}
