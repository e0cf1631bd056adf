//! How `lanes demo` ends: the dashboard of the demo's lanes, served until interrupted, with
//! tokens for an approver and a viewer to sign in with.

use std::path::Path;

use lanes_store::Role;

use crate::cli::{ServeArgs, StateArg};
use crate::commands::token::make_token;
use crate::failure::Failure;
use crate::output::Output;
use crate::workspace::repository;

pub(crate) fn serve_demo(dir: &Path, bind: &str, output: &Output) -> Result<(), Failure> {
    let repo = repository(dir)?;
    let state = StateArg { state_dir: None };
    let approver = make_token(&repo, &state, "olga", Role::Approver)?;
    let viewer = make_token(&repo, &state, "victor", Role::Viewer)?;
    output.data("");
    output.say("serving the demo's dashboard; sign in as");
    output.say(&format!("  olga (approver): {approver}"));
    output.say(&format!("  victor (viewer): {viewer}"));
    // The default port may be taken (another demo, another server): any free one will do.
    let bind = if std::net::TcpListener::bind(bind).is_ok() {
        bind.to_owned()
    } else {
        output.say(&format!("{bind} is taken; serving on a free port instead"));
        "127.0.0.1:0".to_owned()
    };
    let args = ServeArgs {
        bind,
        poll: None,
        jobs: Some(4),
        parallel: 4,
        body_limit: 5 * 1024 * 1024,
        public_url: None,
        github_api_url: String::new(),
        gitlab_api_url: String::new(),
        azure_devops_url: String::new(),
        state,
    };
    crate::commands::serve(dir, &args, output)
}
