//! Step output as lanes shows it: a step's bytes may move a terminal's cursor, recolour it,
//! retitle it or ring its bell, so every edge that shows a log (`lanes logs`, the API, the
//! dashboard) shows its control characters escaped instead.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character but the line feed and the tab written as an escape:
/// `\r` for a carriage return, `\x1b` for the other C0 controls and DEL, `\u{9b}` for the C1
/// controls. A backslash is kept as it is, so the escapes read like the `printf` that made them.
#[must_use]
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let shown = |c: char| !c.is_control() || c == '\n' || c == '\t';
    if text.chars().all(shown) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            c if shown(c) => escaped.push(c),
            '\r' => escaped.push_str("\\r"),
            c if u32::from(c) < 0x80 => {
                write!(escaped, "\\x{:02x}", u32::from(c)).expect("writing to a string");
            }
            c => write!(escaped, "\\u{{{:x}}}", u32::from(c)).expect("writing to a string"),
        }
    }
    Cow::Owned(escaped)
}
