//! What `lanes run` shows while it works: a line per lane that updates in place on a terminal,
//! plain lines per stage change elsewhere, or every ledger event as a JSON line with `--json`.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use lanes_engine::{Event, LaneId, StageState, World};

pub(crate) enum Progress {
    /// Spinners on a terminal.
    Live {
        bars: MultiProgress,
        lanes: BTreeMap<LaneId, ProgressBar>,
    },
    /// One line on stderr per stage change.
    Lines,
    /// Every event as a JSON line on stdout.
    Json,
    /// Nothing but notes (stopping).
    Quiet,
}

impl Progress {
    pub(crate) fn new(json: bool, quiet: bool) -> Self {
        if quiet {
            Self::Quiet
        } else if json {
            Self::Json
        } else if std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        {
            Self::Live {
                bars: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                lanes: BTreeMap::new(),
            }
        } else {
            Self::Lines
        }
    }

    /// A message for people, above the live lines.
    pub(crate) fn note(&self, message: &str) {
        match self {
            Self::Live { bars, .. } => bars.suspend(|| eprintln!("{message}")),
            Self::Lines | Self::Json | Self::Quiet => eprintln!("{message}"),
        }
    }

    /// Shows one recorded event; `world` already includes it.
    pub(crate) fn event(&mut self, event: &Event, world: &World) {
        if let Self::Quiet = self {
            return;
        }
        if let Self::Json = self {
            println!(
                "{}",
                serde_json::to_string(event).expect("events serialize")
            );
            return;
        }
        let Some(lane) = event.lane().and_then(|id| world.lane(id)) else {
            return;
        };
        let text = match event {
            Event::LaneCreated { .. } => Some("lane created".to_owned()),
            Event::AttemptStarted { stage, attempt, .. } => Some(format!(
                "{} running{}",
                lane.stages[*stage].name,
                if *attempt > 1 {
                    format!(" (attempt {attempt})")
                } else {
                    String::new()
                }
            )),
            Event::StepStarted { stage, command, .. } => {
                Some(format!("{}: {command}", lane.stages[*stage].name))
            }
            Event::StageUnchanged { stage, .. }
            | Event::StageWaiting { stage, .. }
            | Event::StageRetrying { stage, .. }
            | Event::StageFinished { stage, .. }
            | Event::StageInterrupted { stage, .. } => {
                let run = &lane.stages[*stage];
                let duration = match (run.started_at, run.finished_at) {
                    (Some(start), Some(end)) if run.state == StageState::Succeeded => {
                        format!(" in {}", crate::output::seconds(end - start))
                    }
                    _ => String::new(),
                };
                let reason = run
                    .reason
                    .as_ref()
                    .map(|reason| format!(": {reason}"))
                    .unwrap_or_default();
                Some(format!(
                    "{} {}{duration}{reason}",
                    run.name,
                    run.state.as_str()
                ))
            }
            _ => None,
        };
        let Some(text) = text else { return };
        let label = format!("{:<18} ", lane.component);
        match self {
            Self::Live { bars, lanes } => {
                let bar = lanes.entry(lane.id).or_insert_with(|| {
                    let bar = bars.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {prefix}{msg}")
                            .expect("a valid template"),
                    );
                    bar.set_prefix(label.clone());
                    bar.enable_steady_tick(std::time::Duration::from_millis(120));
                    bar
                });
                bar.set_message(text);
                if lane.is_done()
                    || lane
                        .stages
                        .iter()
                        .any(|s| matches!(s.state, StageState::Failed | StageState::Interrupted))
                {
                    bar.finish();
                }
            }
            Self::Lines => {
                if !matches!(event, Event::StepStarted { .. }) {
                    eprintln!("{label}{text}");
                }
            }
            Self::Json | Self::Quiet => {}
        }
    }
}
