//! One line of a step's log.

use std::fmt;

use jiff::Timestamp;

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The step's standard output.
    Stdout,
    /// The step's standard error.
    Stderr,
    /// The runner itself: timeouts, cancellation, signals sent, how the step ended.
    Runner,
}

impl Stream {
    /// The name written in the log: `stdout`, `stderr` or `runner`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
            Stream::Runner => "runner",
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One line of output, as written to the log file (`<at> <stream> | <text>`) and sent to the
/// live channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When the runner read the line.
    pub at: Timestamp,
    /// Where the line came from.
    pub stream: Stream,
    /// The line without its line break, secrets masked, invalid UTF-8 replaced by U+FFFD.
    pub text: String,
}
