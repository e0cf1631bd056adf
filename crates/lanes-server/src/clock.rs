//! The server's clock: milliseconds since the Unix epoch, as the ledger counts time.

use lanes_engine::Millis;

/// Now, in milliseconds since the Unix epoch.
#[must_use]
pub fn now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            Millis::try_from(since.as_millis()).unwrap_or(Millis::MAX)
        })
}
