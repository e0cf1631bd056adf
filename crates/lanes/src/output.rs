//! Output for people: colours only on terminals without `NO_COLOR`, errors, hints and
//! diagnostics on stderr. Data for programs goes to stdout through `data`.

use std::io::{BufWriter, IsTerminal as _, Write as _};

use console::Style;
use lanes_manifest::Diagnostic;
use miette::{GraphicalReportHandler, GraphicalTheme};
use serde::Serialize;

use crate::cli::ColorChoice;

pub(crate) struct Output {
    stdout_colors: bool,
    stderr_colors: bool,
    /// Prints nothing but errors: `lanes demo` runs its commands so unless `--verbose`.
    quiet: bool,
    /// How hints name lanes: `lanes`, unless the demo knows it is not on the `PATH`.
    lanes: String,
}

impl Output {
    pub(crate) fn new(choice: ColorChoice) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        let decide = |is_terminal: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        };
        Self {
            stdout_colors: decide(std::io::stdout().is_terminal()),
            stderr_colors: decide(std::io::stderr().is_terminal()),
            quiet: false,
            lanes: "lanes".to_owned(),
        }
    }

    /// The same output, quiet (`quiet: true`) or not, with hints naming lanes as `lanes`.
    pub(crate) fn with(&self, quiet: bool, lanes: &str) -> Self {
        Self {
            quiet,
            lanes: lanes.to_owned(),
            ..*self
        }
    }

    pub(crate) fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A lanes command as a hint shows it: `` `lanes status abc1234` ``.
    pub(crate) fn command(&self, args: &str) -> String {
        format!("`{} {args}`", self.lanes)
    }

    /// Renders miette reports (diagnostics) the way this run colours.
    pub(crate) fn install_report_handler(&self) {
        let colors = self.stderr_colors;
        // Only fails when a handler is already installed, which cannot happen here.
        let _ = miette::set_hook(Box::new(move |_| {
            Box::new(
                miette::MietteHandlerOpts::new()
                    .color(colors)
                    .unicode(colors)
                    .build(),
            )
        }));
    }

    fn styled(&self, to_stdout: bool, style: &Style, text: &str) -> String {
        let enabled = if to_stdout {
            self.stdout_colors
        } else {
            self.stderr_colors
        };
        style
            .clone()
            .force_styling(enabled)
            .apply_to(text)
            .to_string()
    }

    /// Styles text headed for stdout.
    pub(crate) fn paint(&self, style: &Style, text: &str) -> String {
        self.styled(true, style, text)
    }

    /// Styles text headed for stderr.
    pub(crate) fn paint_err(&self, style: &Style, text: &str) -> String {
        self.styled(false, style, text)
    }

    /// A line of data on stdout. A closed pipe (`lanes affected | head`) ends the program quietly.
    pub(crate) fn data(&self, line: &str) {
        if self.quiet {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{line}").is_err() {
            std::process::exit(0);
        }
    }

    /// A JSON document on stdout, pretty-printed, written while it is serialized through a
    /// fixed buffer: a large answer (300 KB from `lanes affected --json` on 100k files) is never
    /// held whole, which cost page faults for the growing string. A closed pipe ends the
    /// program quietly.
    pub(crate) fn json(&self, value: &impl Serialize) {
        if self.quiet {
            return;
        }
        let mut stdout = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let written = serde_json::to_writer_pretty(&mut stdout, value)
            .map_err(|error| {
                assert!(error.is_io(), "lanes' reports serialize: {error}");
                std::io::Error::from(error)
            })
            .and_then(|()| writeln!(stdout))
            .and_then(|()| stdout.flush());
        if written.is_err() {
            std::process::exit(0);
        }
    }

    /// A message for people on stderr.
    pub(crate) fn say(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    pub(crate) fn hint(&self, hint: &str) {
        if self.quiet {
            return;
        }
        eprintln!(
            "{} {hint}",
            self.paint_err(&Style::new().cyan().bold(), "hint:")
        );
    }

    pub(crate) fn error(&self, message: &str, hint: Option<&str>) {
        eprintln!(
            "{} {message}",
            self.paint_err(&Style::new().red().bold(), "error:")
        );
        if let Some(hint) = hint {
            self.hint(hint);
        }
    }

    /// Manifest diagnostics with their snippets, on stderr.
    pub(crate) fn diagnostics(&self, diagnostics: &[Diagnostic]) {
        let theme = if self.stderr_colors {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme);
        for diagnostic in diagnostics {
            let mut rendered = String::new();
            if handler.render_report(&mut rendered, diagnostic).is_ok() {
                eprint!("{rendered}");
            }
        }
    }
}

/// Text as one line on a terminal: control characters (a newline in a file name, an escape
/// sequence) are escaped.
pub(crate) fn escaped(text: &str) -> String {
    if text.chars().any(char::is_control) {
        format!("{text:?}")
    } else {
        text.to_owned()
    }
}

/// Milliseconds as people read a duration: `1.2s`.
pub(crate) fn seconds(ms: i64) -> String {
    format!("{}.{}s", ms / 1000, (ms % 1000) / 100)
}
