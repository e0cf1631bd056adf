//! `lanes token`: API tokens of the server. A token is shown once, when it is made; the
//! ledger keeps only its digest.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;

use lanes_store::{ApiToken, Role};

use crate::cli::{TokenAction, TokenArgs};
use crate::failure::Failure;
use crate::ledger::{block_on, open};
use crate::output::Output;
use crate::workspace::repository;

pub(crate) fn token(directory: &Path, args: &TokenArgs, output: &Output) -> Result<(), Failure> {
    let repo = repository(directory)?;
    match &args.action {
        TokenAction::Add { name, role } => {
            let role: Role = role.parse().map_err(|message| Failure::Refused {
                message,
                hint: None,
            })?;
            let secret = make_token(&repo, &args.state, name, role)?;
            output.data(&secret);
            output.say(&format!(
                "token `{name}` ({role}) made; it is shown only now (send it as `Authorization: Bearer <token>`, or set LANES_API_TOKEN for --server)"
            ));
        }
        TokenAction::Revoke { name } => {
            let revoked = block_on(async {
                let (_, store) = open(&repo, &args.state).await?;
                store
                    .api_tokens()
                    .revoke(name, lanes_server::now())
                    .await
                    .map_err(Failure::store)
            })?;
            if !revoked {
                return Err(Failure::Refused {
                    message: format!("no token named `{name}`"),
                    hint: None,
                });
            }
            output.say(&format!("token `{name}` revoked"));
        }
    }
    Ok(())
}

/// Makes a token for `name` with `role` in the repository's ledger; returns its secret.
pub(crate) fn make_token(
    repo: &lanes_git::Repo,
    state: &crate::cli::StateArg,
    name: &str,
    role: Role,
) -> Result<String, Failure> {
    let secret = format!("lanes_{}", random_hex()?);
    block_on(async {
        let (_, store) = open(repo, state).await?;
        let token = ApiToken {
            name: name.to_owned(),
            role,
        };
        store
            .api_tokens()
            .add(
                &token,
                &lanes_server::token_digest(&secret),
                lanes_server::now(),
            )
            .await
            .map_err(|error| Failure::Refused {
                message: format!(
                    "{}: is there a token named `{name}` already?",
                    crate::failure::chain(&error)
                ),
                hint: Some(format!("`lanes token revoke {name}` frees the name")),
            })
    })?;
    Ok(secret)
}

/// 32 random bytes from the kernel, as hex.
fn random_hex() -> Result<String, Failure> {
    let mut bytes = [0_u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut bytes))
        .map_err(|error| Failure::io("read /dev/urandom", error))?;
    Ok(bytes.iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    }))
}
