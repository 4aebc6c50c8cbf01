//! A progress bar on stderr, for people at a terminal only: hidden when stderr is not a
//! terminal, in CI, and with --quiet (the caller decides `wanted`).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether a progress bar may be drawn at all: stderr is a terminal and this is not CI.
pub fn allowed() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none_or(|v| v.is_empty())
}

pub fn bar(wanted: bool, total: u64, unit: &str) -> ProgressBar {
    if !wanted {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit} ({{per_sec}}, {{elapsed}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}
