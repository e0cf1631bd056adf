//! Who takes a decision on the command line. `--as` names the user; an API token in
//! `LANES_API_TOKEN` (what the server passes to the commands it runs for a caller, and what
//! `lanes --server` sends) proves it. Environments whose decisions go through the server
//! refuse `--as` alone.

use lanes_store::{Role, Store};

use crate::failure::Failure;

/// The variable holding an API token.
pub(crate) const API_TOKEN_VARIABLE: &str = "LANES_API_TOKEN";

/// The name of the API token proving `user` is who decides, when `LANES_API_TOKEN` holds one;
/// `None` when it holds none. A token that is unknown, revoked, another person's or below the
/// approver role is refused, never ignored.
pub(crate) async fn proven_token(store: &Store, user: &str) -> Result<Option<String>, Failure> {
    let Some(token) = std::env::var(API_TOKEN_VARIABLE)
        .ok()
        .filter(|token| !token.trim().is_empty())
    else {
        return Ok(None);
    };
    let holder = store
        .api_tokens()
        .find(&lanes_server::token_digest(token.trim()))
        .await
        .map_err(Failure::store)?
        .ok_or_else(|| Failure::Refused {
            message: format!("the token in {API_TOKEN_VARIABLE} is unknown or revoked"),
            hint: Some("`lanes token add NAME --role approver` makes one".to_owned()),
        })?;
    if holder.name != user {
        return Err(Failure::Refused {
            message: format!(
                "the token in {API_TOKEN_VARIABLE} is `{}`'s, not `{user}`'s",
                holder.name
            ),
            hint: Some(format!(
                "decide as `{}`, or with your own token",
                holder.name
            )),
        });
    }
    if holder.role < Role::Approver {
        return Err(Failure::Refused {
            message: format!(
                "the token of `{user}` has the role {}: decisions need approver",
                holder.role.as_str()
            ),
            hint: None,
        });
    }
    Ok(Some(holder.name))
}
