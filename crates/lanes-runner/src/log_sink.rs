//! Where a step's log lines go: appended to the log file as they come, and to the live channel.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use tokio::sync::mpsc::UnboundedSender;

use crate::{LogLine, RunnerError, Stream};

/// The log file of one step and the optional live channel.
#[derive(Debug)]
pub(crate) struct LogSink {
    file: File,
    path: PathBuf,
    live: Option<UnboundedSender<LogLine>>,
    buffer: String,
}

impl LogSink {
    /// Opens (creating if needed) the log at `path` for appending.
    pub(crate) fn open(
        path: &Path,
        live: Option<UnboundedSender<LogLine>>,
    ) -> Result<LogSink, RunnerError> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| RunnerError::OpenLog {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(LogSink {
            file,
            path: path.to_path_buf(),
            live,
            buffer: String::new(),
        })
    }

    /// Writes `texts` read at `at` from `stream` as `<at> <stream> | <text>` lines, in one write
    /// so that a reader following the file sees them at once, and sends them to the channel.
    pub(crate) fn write(
        &mut self,
        stream: Stream,
        texts: impl IntoIterator<Item = String>,
        at: Timestamp,
    ) -> Result<(), RunnerError> {
        self.buffer.clear();
        let mut stamp = String::new();
        for text in texts {
            if stamp.is_empty() {
                // RFC 3339 in UTC with milliseconds, e.g. 2026-11-24T06:20:01.123Z.
                let _ = write!(stamp, "{at:.3}");
            }
            let _ = writeln!(self.buffer, "{stamp} {stream} | {text}");
            if let Some(live) = &self.live {
                let line = LogLine { at, stream, text };
                if live.send(line).is_err() {
                    // Nobody listens any more; the file still gets every line.
                    self.live = None;
                }
            }
        }
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(self.buffer.as_bytes())
            .map_err(|source| RunnerError::WriteLog {
                path: self.path.clone(),
                source,
            })
    }

    /// Writes one line from the runner itself.
    pub(crate) fn note(&mut self, text: String) -> Result<(), RunnerError> {
        self.write(Stream::Runner, [text], Timestamp::now())
    }
}
