//! `lanes hotfix`: cut a hotfix branch from the commit deployed in production.

use std::path::Path;

use serde_json::json;

use crate::cli::HotfixArgs;
use crate::failure::Failure;
use crate::flow::{GitPath, cut_hotfix};
use crate::ledger::{block_on, open_whole};
use crate::output::Output;
use crate::workspace::{repository, required_manifest_at};

pub(crate) fn hotfix(directory: &Path, args: &HotfixArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    let path = GitPath::new(&repo)?;
    let head = repo.resolve_commit("HEAD")?;
    let manifest = required_manifest_at(&repo, head, "HEAD")?;
    let cut = block_on(async {
        let (_, mut store) = open_whole(&repo, &args.state).await?;
        cut_hotfix(&path, &manifest, &mut store, &args.component).await
    })?;
    if args.json {
        output.data(
            &json!({
                "branch": cut.branch,
                "tag": cut.tag,
                "base": cut.base.to_string(),
            })
            .to_string(),
        );
    } else {
        output.data(&cut.branch);
    }
    output.say(&format!(
        "cut {} from {} ({}), the commit of {} in production",
        cut.branch,
        cut.tag,
        cut.base.short(),
        args.component
    ));
    output.hint(&format!(
        "commit the fix on {}, then {}",
        cut.branch,
        output.command(&format!("run {}", cut.branch))
    ));
    Ok(())
}
