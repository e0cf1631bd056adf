//! Secret masking over a byte stream that arrives in arbitrary chunks.
//!
//! Masking works on bytes before they are split into lines, so a secret split across several
//! writes of the child, or holding a line break itself, is still found. The price is a small
//! hold-back: bytes at the end of what was read that could still be the beginning of a secret
//! stay buffered until the next chunk (or the end of the stream) settles it. Only such a possible
//! beginning is held, never a fixed window, so ordinary lines are logged as soon as they are read.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::RunnerError;

/// What replaces every occurrence of a secret.
pub(crate) const MASK: &[u8] = b"***";

/// The set of secret values of one step, shared by its stdout and stderr maskers.
#[derive(Debug, Clone)]
pub(crate) struct Secrets {
    inner: Option<Arc<SecretsInner>>,
}

#[derive(Debug)]
struct SecretsInner {
    /// Finds complete secrets; leftmost-longest, so the longest of overlapping secrets is masked.
    automaton: AhoCorasick,
    /// The secrets, sorted, to look up whether some bytes begin a secret.
    sorted: Vec<Vec<u8>>,
    /// Which bytes begin some secret: most positions are ruled out by this alone.
    first_bytes: [bool; 256],
    max_len: usize,
}

impl Secrets {
    /// Prepares masking of `values`; empty values and duplicates are ignored.
    pub(crate) fn new(values: &[String]) -> Result<Secrets, RunnerError> {
        let mut sorted: Vec<Vec<u8>> = values
            .iter()
            .filter(|value| !value.is_empty())
            .map(|value| value.as_bytes().to_vec())
            .collect();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.is_empty() {
            return Ok(Secrets { inner: None });
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&sorted)
            .map_err(|source| RunnerError::Secrets {
                count: sorted.len(),
                source,
            })?;
        let mut first_bytes = [false; 256];
        for secret in &sorted {
            first_bytes[usize::from(secret[0])] = true;
        }
        let max_len = sorted.iter().map(Vec::len).max().unwrap_or(0);
        Ok(Secrets {
            inner: Some(Arc::new(SecretsInner {
                automaton,
                sorted,
                first_bytes,
                max_len,
            })),
        })
    }

    /// `text` with every secret in it masked.
    pub(crate) fn mask(&self, text: &str) -> String {
        let mut out = Vec::with_capacity(text.len());
        let mut stream = self.masker();
        stream.push(text.as_bytes(), &mut out);
        stream.finish(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// A masker for one stream.
    pub(crate) fn masker(&self) -> Masker {
        Masker {
            secrets: self.inner.clone(),
            pending: Vec::new(),
        }
    }
}

impl SecretsInner {
    /// Whether `bytes` is the beginning, but not the whole, of some secret.
    fn is_proper_prefix(&self, bytes: &[u8]) -> bool {
        let from = self
            .sorted
            .partition_point(|secret| secret.as_slice() < bytes);
        self.sorted[from..]
            .iter()
            .take_while(|secret| secret.starts_with(bytes))
            .any(|secret| secret.len() > bytes.len())
    }
}

/// Masks one stream: bytes go in as they are read, masked bytes come out as soon as no secret
/// can still start among them.
#[derive(Debug)]
pub(crate) struct Masker {
    secrets: Option<Arc<SecretsInner>>,
    /// Bytes read but not yet settled: the possible beginning of a secret.
    pending: Vec<u8>,
}

impl Masker {
    /// Takes the next `chunk` of the stream and appends what is settled, masked, to `out`.
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        self.mask(chunk, false, out);
    }

    /// Ends the stream: appends everything still held, masked, to `out`.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) {
        self.mask(&[], true, out);
    }

    fn mask(&mut self, chunk: &[u8], end: bool, out: &mut Vec<u8>) {
        let Some(secrets) = &self.secrets else {
            out.extend_from_slice(chunk);
            return;
        };
        let pending: &[u8] = if self.pending.is_empty() {
            chunk
        } else {
            self.pending.extend_from_slice(chunk);
            &self.pending
        };
        let len = pending.len();
        // A secret starting before `complete_before` lies wholly within `pending`, so a match
        // there is final; one starting later might still grow into a longer secret.
        let complete_before = if end {
            len
        } else {
            len.saturating_sub(secrets.max_len - 1)
        };
        let mut emitted = 0;
        let mut hold = len;
        for found in secrets.automaton.find_iter(pending) {
            if !end && found.start() >= complete_before {
                hold = found.start();
                break;
            }
            out.extend_from_slice(&pending[emitted..found.start()]);
            out.extend_from_slice(MASK);
            emitted = found.end();
        }
        if !end {
            // Shorter than the longest secret, so only positions from `complete_before` on can
            // begin a secret that the rest of the stream would complete.
            let first_candidate = emitted.max(complete_before);
            if let Some(start) = (first_candidate..hold).find(|&start| {
                secrets.first_bytes[usize::from(pending[start])]
                    && secrets.is_proper_prefix(&pending[start..])
            }) {
                hold = start;
            }
        }
        out.extend_from_slice(&pending[emitted..hold]);
        if self.pending.is_empty() {
            self.pending.extend_from_slice(&chunk[hold..]);
        } else {
            self.pending.drain(..hold);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn secrets(values: &[&str]) -> Secrets {
        let values: Vec<String> = values.iter().map(|value| (*value).to_owned()).collect();
        Secrets::new(&values).unwrap()
    }

    /// Feeds `chunks` one by one and returns everything masked, with what was emitted after each
    /// chunk.
    fn feed(secrets: &Secrets, chunks: &[&[u8]]) -> (Vec<u8>, Vec<Vec<u8>>) {
        let mut masker = secrets.masker();
        let mut out = Vec::new();
        let mut steps = Vec::new();
        for chunk in chunks {
            let mut step = Vec::new();
            masker.push(chunk, &mut step);
            out.extend_from_slice(&step);
            steps.push(step);
        }
        masker.finish(&mut out);
        (out, steps)
    }

    /// The reference: aho-corasick's own replacement over the whole input at once.
    fn whole(secrets: &Secrets, input: &[u8]) -> Vec<u8> {
        match &secrets.inner {
            Some(inner) => {
                let masks = vec![MASK; inner.sorted.len()];
                inner.automaton.replace_all_bytes(input, &masks)
            }
            None => input.to_vec(),
        }
    }

    #[test]
    fn masks_every_occurrence() {
        let set = secrets(&["hunter2", "s3cr3t", "abab", "bcd"]);
        let input: &[u8] = b"a hunter2 b hunter2 s3cr3ts3cr3t hunter ababab abcd";
        let expected = "a *** b *** ****** hunter ***ab a***";
        let masked = |chunks: &[&[u8]]| String::from_utf8(feed(&set, chunks).0).unwrap();
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(masked(&[input]), expected, "in one chunk");
        assert_eq!(masked(&bytes), expected, "a byte at a time");
    }

    #[test]
    fn masks_a_secret_split_across_chunks() {
        let set = secrets(&["hunter2"]);
        let (out, steps) = feed(&set, &[b"x hun", b"te", b"r2 y\n"]);
        assert_eq!(out, b"x *** y\n");
        assert_eq!(steps[0], b"x ", "only the possible beginning is held");
    }

    #[test]
    fn releases_held_bytes_once_they_cannot_begin_a_secret() {
        let set = secrets(&["hunter2"]);
        let (out, steps) = feed(&set, &[b"hun", b"gry\n"]);
        assert_eq!(out, b"hungry\n");
        assert_eq!(steps[1], b"hungry\n");
    }

    #[test]
    fn holds_nothing_when_no_secret_can_begin() {
        let set = secrets(&["hunter2"]);
        let (_, steps) = feed(&set, &[b"line one\n"]);
        assert_eq!(steps[0], b"line one\n");
    }

    #[test]
    fn prefers_the_longest_of_overlapping_secrets_across_chunks() {
        let set = secrets(&["abc", "abcdef"]);
        assert_eq!(feed(&set, &[b"xabc", b"def!"]).0, b"x***!");
        assert_eq!(feed(&set, &[b"xabc", b"de!"]).0, b"x***de!");
    }

    #[test]
    fn masks_a_secret_holding_a_line_break() {
        let set = secrets(&["first\nsecond"]);
        assert_eq!(
            feed(&set, &[b"before first\n", b"second after\n"]).0,
            b"before *** after\n"
        );
        assert_eq!(feed(&set, &[b"first\n", b"other\n"]).0, b"first\nother\n");
    }

    #[test]
    fn ignores_empty_secrets() {
        let set = secrets(&["", ""]);
        assert!(set.inner.is_none());
        assert_eq!(feed(&set, &[b"text"]).0, b"text");
    }

    #[test]
    fn masks_the_end_of_the_stream() {
        let set = secrets(&["tail"]);
        assert_eq!(feed(&set, &[b"a ta", b"il"]).0, b"a ***");
    }

    proptest! {
        /// However the stream is cut into chunks, the result is the same as masking it whole.
        #[test]
        fn chunking_does_not_change_the_result(
            secret_values in proptest::collection::vec("[ab\n]{1,5}", 1..4),
            input in "[abc\n]{0,60}",
            cuts in proptest::collection::vec(0usize..60, 0..8),
        ) {
            let values: Vec<&str> = secret_values.iter().map(String::as_str).collect();
            let set = secrets(&values);
            let input = input.as_bytes();
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|&cut| cut <= input.len()).collect();
            cuts.sort_unstable();
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut from = 0;
            for cut in cuts {
                chunks.push(&input[from..cut]);
                from = cut;
            }
            chunks.push(&input[from..]);
            prop_assert_eq!(feed(&set, &chunks).0, whole(&set, input));
        }
    }
}
