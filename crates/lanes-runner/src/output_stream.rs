//! One output pipe of a step, read as it comes: masked, then cut into lines.

use std::io;

use tokio::net::unix::pipe::Receiver;

use crate::Stream;
use crate::line_splitter::LineSplitter;
use crate::masker::Masker;

/// The read end of a step's stdout or stderr and the state that turns it into log lines.
#[derive(Debug)]
pub(crate) struct OutputStream {
    stream: Stream,
    /// `None` once the pipe reached its end (or the runner stopped reading it).
    pipe: Option<Receiver>,
    masker: Masker,
    splitter: LineSplitter,
    masked: Vec<u8>,
}

impl OutputStream {
    pub(crate) fn new(
        stream: Stream,
        pipe: Receiver,
        masker: Masker,
        splitter: LineSplitter,
    ) -> OutputStream {
        OutputStream {
            stream,
            pipe: Some(pipe),
            masker,
            splitter,
            masked: Vec::new(),
        }
    }

    pub(crate) fn stream(&self) -> Stream {
        self.stream
    }

    pub(crate) fn is_open(&self) -> bool {
        self.pipe.is_some()
    }

    /// Waits until the pipe can be read; never returns once it is closed.
    pub(crate) async fn readable(&self) -> io::Result<()> {
        match &self.pipe {
            Some(pipe) => pipe.readable().await,
            None => std::future::pending().await,
        }
    }

    /// Reads what the pipe holds into `buffer` and appends the lines it completes to `lines`;
    /// at the end of the pipe, or on a read error, closes it and appends the rest.
    pub(crate) fn read(&mut self, buffer: &mut [u8], lines: &mut Vec<String>) {
        let Some(pipe) = &self.pipe else {
            return;
        };
        match pipe.try_read(buffer) {
            Ok(0) => self.close(lines),
            Ok(read) => {
                self.masked.clear();
                self.masker.push(&buffer[..read], &mut self.masked);
                self.splitter.push(&self.masked, lines);
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            // A pipe does not fail to read; should it, end the stream rather than spin on it.
            Err(_) => self.close(lines),
        }
    }

    /// Stops reading: whatever was held back (a possible secret, a line without its break) is
    /// settled and appended to `lines`.
    pub(crate) fn close(&mut self, lines: &mut Vec<String>) {
        self.pipe = None;
        self.masked.clear();
        self.masker.finish(&mut self.masked);
        self.splitter.push(&self.masked, lines);
        self.splitter.finish(lines);
    }
}
