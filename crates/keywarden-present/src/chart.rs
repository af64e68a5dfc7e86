//! The rollout chart as SVG text: one row per ring (then all users), each a bar as long as the ring's members with
//! the targeted and the covered users stacked inside it, and the numbers next to it.
//!
//! The SVG is written by hand so that it needs no dependency and is the same byte for byte wherever it is made
//! (the CLI's file, the API's `?format=svg`). It is accessible: a `<title>` and a `<desc>` that state every number,
//! and a `<title>` per row. Every label is escaped.

use std::fmt::Write;

use keywarden_domain::policy::State;
use keywarden_domain::rollout::status::{RingStatus, RolloutStatus};

use crate::html::escape;

const WIDTH: u32 = 840;
const LABEL_X: u32 = 16;
const BAR_X: u32 = 216;
const BAR_WIDTH: f64 = 360.0;
const BAR_HEIGHT: u32 = 18;
const ROW: u32 = 34;
const TOP: u32 = 70;
/// Labels longer than this are cut (the row's `<title>` keeps the whole name).
const LABEL_CHARS: usize = 28;

const MEMBERS_FILL: &str = "#eaeef2";
const TARGETED_FILL: &str = "#9ec5ee";
const COVERED_FILL: &str = "#0b5cad";
const INK: &str = "#1b1f24";
const MUTED: &str = "#57606a";

fn cut(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_string()
    } else {
        let kept: String = label.chars().take(LABEL_CHARS - 1).collect();
        format!("{kept}…")
    }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// A ring in one sentence: `Pilot: 40 members, 35 targeted, 12 covered (30%)`.
pub fn sentence(ring: &RingStatus) -> String {
    format!(
        "{}: {} members, {} targeted, {} covered ({})",
        ring.display_name,
        ring.members,
        ring.targeted,
        ring.covered,
        percent(ring.coverage)
    )
}

fn bar_width(part: u64, whole: u64) -> String {
    let width = if whole == 0 {
        0.0
    } else {
        BAR_WIDTH * (part.min(whole) as f64) / whole as f64
    };
    format!("{width:.1}")
}

fn row(out: &mut String, ring: &RingStatus, y: u32) {
    let bar_y = y + 4;
    let text_y = y + 17;
    let _ = writeln!(
        out,
        "<g class=\"ring\"><title>{title}</title>\
         <text x=\"{LABEL_X}\" y=\"{text_y}\" fill=\"{INK}\">{label}</text>\
         <rect x=\"{BAR_X}\" y=\"{bar_y}\" width=\"{BAR_WIDTH:.1}\" height=\"{BAR_HEIGHT}\" fill=\"{MEMBERS_FILL}\" stroke=\"#d0d7de\"/>\
         <rect x=\"{BAR_X}\" y=\"{bar_y}\" width=\"{targeted}\" height=\"{BAR_HEIGHT}\" fill=\"{TARGETED_FILL}\"/>\
         <rect x=\"{BAR_X}\" y=\"{bar_y}\" width=\"{covered}\" height=\"{BAR_HEIGHT}\" fill=\"{COVERED_FILL}\"/>\
         <text x=\"{numbers_x}\" y=\"{text_y}\" fill=\"{INK}\">{covered_n}/{members} covered ({pct}) · {targeted_n} targeted</text>\
         </g>",
        title = escape(&sentence(ring)),
        label = escape(&cut(&ring.display_name)),
        targeted = bar_width(ring.targeted, ring.members),
        covered = bar_width(ring.covered, ring.members),
        numbers_x = BAR_X + BAR_WIDTH as u32 + 10,
        covered_n = ring.covered,
        members = ring.members,
        pct = percent(ring.coverage),
        targeted_n = ring.targeted,
    );
}

fn legend(out: &mut String) {
    let y = 42;
    let mut x = LABEL_X;
    for (fill, name) in [
        (MEMBERS_FILL, "Members"),
        (TARGETED_FILL, "Targeted"),
        (COVERED_FILL, "Covered (a passkey today's policy accepts)"),
    ] {
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{fill}\" stroke=\"#d0d7de\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"{MUTED}\">{name}</text>",
            x + 18,
            y + 11
        );
        x += 18 + 8 * name.len() as u32 + 24;
    }
    out.push('\n');
}

/// The chart of a rollout status.
pub fn svg(status: &RolloutStatus) -> String {
    let rows = status.rings.len() as u32 + 1;
    let height = TOP + rows * ROW + if status.rings.is_empty() { ROW } else { 10 };
    let mut description: Vec<String> = status.rings.iter().map(sentence).collect();
    description.push(sentence(&status.all_users));
    if status.method_state == State::Disabled {
        description.push("The passkey method is disabled: targeted users cannot register yet.".into());
    }
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"rollout-title rollout-desc\" \
         font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\" font-size=\"13\">\n\
         <title id=\"rollout-title\">Passkey rollout by ring</title>\n\
         <desc id=\"rollout-desc\">{}</desc>\n\
         <rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>\n\
         <text x=\"{LABEL_X}\" y=\"26\" font-size=\"16\" font-weight=\"600\" fill=\"{INK}\">Passkey rollout by ring</text>\n",
        escape(&description.join(". "))
    );
    legend(&mut out);
    let mut y = TOP;
    if status.rings.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"{LABEL_X}\" y=\"{}\" fill=\"{MUTED}\">No groups yet: rings are groups of the directory.</text>",
            y + 17
        );
        y += ROW;
    }
    for ring in &status.rings {
        row(&mut out, ring, y);
        y += ROW;
    }
    if !status.rings.is_empty() {
        let _ = writeln!(
            out,
            "<line x1=\"{LABEL_X}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#d0d7de\"/>",
            WIDTH - LABEL_X
        );
    }
    row(&mut out, &status.all_users, y + 4);
    out.push_str("</svg>\n");
    out
}
