//! Colour only on a terminal, and never when NO_COLOR is set. The terminal is a real pty,
//! made by util-linux's `script`.

mod support {
    pub mod bin;
}

use std::path::Path;

const ESC: &str = "\x1b[";

fn run_in_pty(no_color: Option<&str>) -> String {
    let command = format!(
        "{} check examples/lists --history examples/bounces --offline",
        support::bin::path()
    );
    let env: Vec<(&str, &str)> = no_color
        .map(|value| ("NO_COLOR", value))
        .into_iter()
        .collect();
    support::bin::on_terminal(Path::new(env!("CARGO_MANIFEST_DIR")), &command, &env)
}

#[test]
fn colour_on_a_terminal_only_and_never_with_no_color() {
    let on_terminal = run_in_pty(None);
    assert!(
        on_terminal.contains("error[historic-hard]"),
        "{on_terminal}"
    );
    assert!(on_terminal.contains(ESC), "a terminal gets colour");

    let no_color = run_in_pty(Some("1"));
    assert!(no_color.contains("historic-hard"), "{no_color}");
    assert!(!no_color.contains(ESC), "NO_COLOR turns colour off");

    let piped = support::bin::bouncegate()
        .args([
            "check",
            "examples/lists",
            "--history",
            "examples/bounces",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let piped = String::from_utf8_lossy(&piped.stdout);
    assert!(
        piped.contains("historic-hard") && !piped.contains(ESC),
        "a pipe gets none"
    );

    let forced = support::bin::bouncegate()
        .args([
            "check",
            "examples/lists",
            "--history",
            "examples/bounces",
            "--color",
            "always",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&forced.stdout).contains(ESC),
        "--color always"
    );
}
