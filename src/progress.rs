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
    show_count(&bar, unit);
    bar
}

/// The bar and the count: the usual line.
pub fn show_count(bar: &ProgressBar, unit: &str) {
    set_template(
        bar,
        &format!("{{bar:40}} {{pos}}/{{len}} {unit} ({{per_sec}}, {{elapsed}})"),
    );
    bar.set_message("");
}

/// The count and what the stage waits on, in place of the bar: `9/10 domains: 1 not
/// answering, ...`. The message is cut to the terminal's width.
pub fn show_waiting(bar: &ProgressBar, unit: &str, message: &str) {
    set_template(bar, &format!("{{pos}}/{{len}} {unit}: {{wide_msg}}"));
    bar.set_message(message.to_owned());
}

fn set_template(bar: &ProgressBar, template: &str) {
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
}
