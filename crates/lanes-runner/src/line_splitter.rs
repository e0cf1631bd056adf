//! Cuts a byte stream into log lines: at line breaks, and at a cap so that a stream without line
//! breaks cannot grow a line without bound.

/// The longest line logged as one; longer lines are split into several of at most this size.
pub(crate) const LINE_CAP: usize = 64 * 1024;

/// Collects bytes into lines, decoding each lossily as UTF-8.
#[derive(Debug)]
pub(crate) struct LineSplitter {
    partial: Vec<u8>,
    cap: usize,
}

impl LineSplitter {
    /// A splitter that cuts lines longer than `cap` bytes (at least 4, one UTF-8 character).
    pub(crate) fn new(cap: usize) -> LineSplitter {
        LineSplitter {
            partial: Vec::new(),
            cap: cap.max(4),
        }
    }

    /// Appends every line completed by `bytes` to `lines`, without its line break (`\n` or
    /// `\r\n`).
    pub(crate) fn push(&mut self, mut bytes: &[u8], lines: &mut Vec<String>) {
        while let Some(newline) = memchr::memchr(b'\n', bytes) {
            self.append(&bytes[..newline], lines);
            let mut line = std::mem::take(&mut self.partial);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            lines.push(decode(line));
            bytes = &bytes[newline + 1..];
        }
        self.append(bytes, lines);
    }

    /// Ends the stream: a last line without a line break is still a line.
    pub(crate) fn finish(&mut self, lines: &mut Vec<String>) {
        if !self.partial.is_empty() {
            lines.push(decode(std::mem::take(&mut self.partial)));
        }
    }

    /// Adds bytes without line breaks to the current line, emitting it whenever it reaches the
    /// cap, cut before a UTF-8 character that the cap would split.
    fn append(&mut self, mut bytes: &[u8], lines: &mut Vec<String>) {
        while self.partial.len() + bytes.len() > self.cap {
            let room = self.cap - self.partial.len();
            self.partial.extend_from_slice(&bytes[..room]);
            bytes = &bytes[room..];
            let cut = char_boundary_before(&self.partial, bytes.first().copied());
            let rest = self.partial.split_off(cut);
            lines.push(decode(std::mem::replace(&mut self.partial, rest)));
        }
        self.partial.extend_from_slice(bytes);
    }
}

/// Where to cut `line` so that no UTF-8 character is split, given the byte that follows it: the
/// start of the last character when `next` continues it, else the end.
fn char_boundary_before(line: &[u8], next: Option<u8>) -> usize {
    let is_continuation = |byte: u8| byte & 0b1100_0000 == 0b1000_0000;
    if !next.is_some_and(is_continuation) {
        return line.len();
    }
    (line.len().saturating_sub(3)..line.len())
        .rev()
        .find(|&index| !is_continuation(line[index]))
        // An ASCII byte before continuation bytes is invalid UTF-8 anyway: no character to keep.
        .filter(|&index| index > 0 && !line[index].is_ascii())
        .unwrap_or(line.len())
}

fn decode(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(cap: usize, chunks: &[&[u8]]) -> Vec<String> {
        let mut splitter = LineSplitter::new(cap);
        let mut lines = Vec::new();
        for chunk in chunks {
            splitter.push(chunk, &mut lines);
        }
        splitter.finish(&mut lines);
        lines
    }

    #[test]
    fn splits_at_line_breaks_across_chunks() {
        assert_eq!(
            split(100, &[b"one\ntw", b"o\r\n\nthree"]),
            ["one", "two", "", "three"]
        );
    }

    #[test]
    fn cuts_long_lines_at_the_cap() {
        assert_eq!(split(4, &[b"abcdefghij\nk"]), ["abcd", "efgh", "ij", "k"]);
    }

    #[test]
    fn does_not_cut_inside_a_character() {
        // "é" is two bytes: a cap of 5 would split the third one.
        assert_eq!(split(5, &["ééé".as_bytes()]), ["éé", "é"]);
    }

    #[test]
    fn decodes_invalid_utf8_lossily() {
        assert_eq!(split(100, &[b"a\xffb\n"]), ["a\u{fffd}b"]);
    }
}
