//! What can keep the server from starting or serving.

/// A failure of the server; messages read after "failed to ...".
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A webhook secret is set but empty.
    #[error(
        "start the server: the {host} webhook secret is empty, so anyone could sign a delivery"
    )]
    EmptySecret { host: String },
    /// Listening or serving failed.
    #[error("serve on {address}")]
    Serve {
        address: String,
        source: std::io::Error,
    },
}
