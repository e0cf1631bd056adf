//! Charts of the delivery page as SVG written on the server: no script draws them, so they
//! read without JavaScript. Only numbers and fixed words go into the markup; every value shown
//! is also in the table beside the chart.

use std::fmt::Write as _;

use lanes_engine::{DeployMetrics, Millis, TimeBreakdown, duration_text};

const WIDTH: f64 = 600.0;

/// The parts of a lead time, in the order the bar stacks them, with their colours.
fn parts(breakdown: &TimeBreakdown) -> [(&'static str, &'static str, Millis); 7] {
    [
        ("before the lane", "#8c959f", breakdown.before_lane),
        ("working", "#1a7f37", breakdown.working),
        ("queue", "#bf8700", breakdown.waiting_queue),
        ("lock", "#9a6700", breakdown.waiting_lock),
        ("approval", "#cf222e", breakdown.waiting_approval),
        ("gate", "#8250df", breakdown.waiting_gate),
        ("between stages", "#d0d7de", breakdown.between),
    ]
}

/// One bar split into the parts of the mean lead time, with a legend naming each part.
#[expect(
    clippy::cast_precision_loss,
    reason = "durations in milliseconds stay far below 2^52"
)]
pub(crate) fn lead_time_bar(breakdown: &TimeBreakdown) -> String {
    let parts = parts(breakdown);
    let total: Millis = parts.iter().map(|(_, _, value)| value).sum();
    let mut svg = format!(
        r#"<svg class="chart lead-time" role="img" viewBox="0 0 {WIDTH} 64" width="{WIDTH}" height="64" xmlns="http://www.w3.org/2000/svg"><title>where the lead time went</title>"#
    );
    let mut x = 0.0;
    for (name, colour, value) in parts {
        if total == 0 || value == 0 {
            continue;
        }
        let width = WIDTH * value as f64 / total as f64;
        let _ = write!(
            svg,
            r#"<rect data-part="{name}" x="{x:.1}" y="0" width="{width:.1}" height="24" fill="{colour}"><title>{name}: {}</title></rect>"#,
            duration_text(value)
        );
        x += width;
    }
    let mut legend_x = 0.0;
    for (name, colour, _) in parts {
        let _ = write!(
            svg,
            r#"<rect x="{legend_x:.0}" y="38" width="10" height="10" fill="{colour}"/><text x="{:.0}" y="47" font-size="11">{name}</text>"#,
            legend_x + 13.0
        );
        legend_x += 14.0 + 6.5 * name.len() as f64 + 10.0;
    }
    svg.push_str("</svg>");
    svg
}

/// Each deploy of the window on a time line: green, red when it failed, a hollow mark for a
/// rollback.
#[expect(
    clippy::cast_precision_loss,
    reason = "times in milliseconds stay far below 2^52"
)]
pub(crate) fn deploy_timeline(
    deployments: &[DeployMetrics],
    since: Millis,
    until: Millis,
) -> String {
    let span = (until - since).max(1) as f64;
    let mut svg = format!(
        r##"<svg class="chart deploys" role="img" viewBox="0 0 {WIDTH} 40" width="{WIDTH}" height="40" xmlns="http://www.w3.org/2000/svg"><title>deploys over the window</title><line x1="0" y1="20" x2="{WIDTH}" y2="20" stroke="#d0d7de"/>"##
    );
    for deploy in deployments {
        let x = (WIDTH - 8.0) * (deploy.at - since) as f64 / span + 4.0;
        let (kind, fill, stroke) = if deploy.rollback {
            ("rollback", "none", "#9a6700")
        } else if deploy.failures.is_empty() {
            ("deploy", "#1a7f37", "#1a7f37")
        } else {
            ("failed", "#cf222e", "#cf222e")
        };
        let short = &deploy.commit[..deploy.commit.len().min(7)];
        let short: String = short.chars().filter(char::is_ascii_hexdigit).collect();
        let _ = write!(
            svg,
            r#"<circle data-kind="{kind}" cx="{x:.1}" cy="20" r="6" fill="{fill}" stroke="{stroke}" stroke-width="2"><title>{kind} {short}</title></circle>"#
        );
    }
    svg.push_str("</svg>");
    svg
}
