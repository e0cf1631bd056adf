//! The server's backend: `lanes` commands run as child processes of this same binary, in the
//! served repository, with the served state directory; logs where the runs write them; the
//! board computed in-process from the server's world.

use std::path::PathBuf;
use std::process::Stdio;

use lanes_engine::{LaneId, World};
use lanes_git::Repo;
use lanes_server::{Backend, CommandFuture, CommandOutput, MetricsRequest};

use crate::commands::board::board_of;
use crate::commands::metrics::metrics_of;
use crate::decider::API_TOKEN_VARIABLE;
use crate::failure::Failure;
use crate::state_dir::StateDir;

pub(crate) struct CommandBackend {
    pub(crate) exe: PathBuf,
    pub(crate) repo_dir: PathBuf,
    pub(crate) state: StateDir,
    pub(crate) state_root: PathBuf,
}

impl Backend for CommandBackend {
    fn command(&self, args: Vec<String>, api_token: Option<String>) -> CommandFuture {
        let mut command = tokio::process::Command::new(&self.exe);
        command
            .arg("-C")
            .arg(&self.repo_dir)
            .args(&args)
            .env("LANES_STATE_DIR", &self.state_root)
            .env("NO_COLOR", "1")
            .env_remove(API_TOKEN_VARIABLE)
            .stdin(Stdio::null());
        if let Some(token) = api_token {
            command.env(API_TOKEN_VARIABLE, token);
        }
        Box::pin(async move {
            match command.output().await {
                Ok(output) => CommandOutput {
                    status: output.status.code().unwrap_or(1),
                    stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
                },
                Err(error) => CommandOutput {
                    status: 1,
                    stdout: String::new(),
                    stderr: format!("failed to start lanes: {error}"),
                },
            }
        })
    }

    fn log_path(&self, lane: LaneId, stage: &str, attempt: u32) -> PathBuf {
        self.state.log(lane, stage, attempt)
    }

    fn board(&self, world: &World) -> Result<serde_json::Value, String> {
        let render = |failure: Failure| crate::failure::chain(&failure);
        let repo = Repo::discover(&self.repo_dir).map_err(|error| render(error.into()))?;
        let board = board_of(&repo, world).map_err(render)?;
        serde_json::to_value(board).map_err(|error| error.to_string())
    }

    fn metrics(
        &self,
        world: &World,
        request: &MetricsRequest,
    ) -> Result<serde_json::Value, String> {
        let render = |failure: Failure| crate::failure::chain(&failure);
        let repo = Repo::discover(&self.repo_dir).map_err(|error| render(error.into()))?;
        let metrics = metrics_of(&repo, world, request).map_err(render)?;
        serde_json::to_value(metrics).map_err(|error| error.to_string())
    }

    fn run_is_alive(&self, run: &lanes_store::RunRecord) -> bool {
        crate::run_liveness::is_alive(run)
    }
}
