//! `lanes logs`: the log of a stage of a lane, as its steps wrote it (secrets masked).

use std::io::Write as _;
use std::path::Path;

use crate::cli::LogsArgs;
use crate::failure::Failure;
use crate::ledger::{block_on, open};
use crate::output::Output;
use crate::workspace::repository;

pub(crate) fn logs(directory: &Path, args: &LogsArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let commit = repo.resolve_commit(&args.commit)?.to_string();
    let path = block_on(async {
        let (dir, store) = open(&repo, &args.state).await?;
        let lane = store
            .world()
            .lane_of(&commit, &args.component)
            .ok_or_else(|| Failure::Refused {
                message: format!("no lane of `{}` for {}", args.component, &commit[..7]),
                hint: Some(format!(
                    "`lanes status {}` lists the lanes of that commit",
                    &commit[..7]
                )),
            })?;
        let stage = match &args.stage {
            Some(name) => lane
                .stages
                .iter()
                .find(|stage| &stage.name == name)
                .ok_or_else(|| Failure::Refused {
                    message: format!("the lane has no stage `{name}`"),
                    hint: None,
                })?,
            None => lane
                .stages
                .iter()
                .rev()
                .find(|stage| !stage.attempts.is_empty())
                .ok_or_else(|| Failure::Refused {
                    message: format!("no stage of `{}` has run yet", args.component),
                    hint: None,
                })?,
        };
        let attempt = args
            .attempt
            .or_else(|| stage.attempts.last().map(|attempt| attempt.number))
            .ok_or_else(|| Failure::Refused {
                message: format!("`{}` has not run yet", stage.name),
                hint: None,
            })?;
        Ok(dir.log(lane.id, &stage.name, attempt))
    })?;
    let text = std::fs::read(&path)
        .map_err(|error| Failure::io(format!("read {}", path.display()), error))?;
    let _ = output;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&text);
    Ok(())
}
