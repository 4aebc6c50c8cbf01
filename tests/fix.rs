//! `bouncegate fix`, `--write-clean` and `--write-suppressions` through the built binary:
//! byte-identical files but for the removed rows, and no row lost when the process is killed
//! at any moment.

mod support {
    pub mod bin;
}

use std::path::Path;
use std::process::Output;

fn bouncegate(dir: &Path, args: &[&str]) -> Output {
    support::bin::bouncegate()
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .output()
        .unwrap()
}

const HISTORY: &str = "email,timestamp,smtp_code,diagnostic\n\
    bob@gmail.com,2026-03-02,550,user unknown\n\
    dan@gmail.com,2026-03-02,550,user unknown\n";

#[test]
fn fix_keeps_every_other_byte_crlf_bom_quotes_and_no_final_newline() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("lists")).unwrap();
    std::fs::write(root.join("history.csv"), HISTORY).unwrap();
    let original: &[u8] = b"\xEF\xBB\xBFname;email;note\r\n\
        Ann;ann@gmail.com;\"two\r\nlines\"\r\n\
        Bob;bob@gmail.com;x\r\n\
        Carl;\"carl@gmail.com\";\"a;b\"\r\n\
        Dan;dan@gmail.com;last";
    std::fs::write(root.join("lists/crm.csv"), original).unwrap();
    std::fs::write(
        root.join("lists/plain.txt"),
        "# team\nbob@gmail.com\n\neve@gmail.com",
    )
    .unwrap();

    let output = bouncegate(root, &["fix", "lists", "--history", "history.csv"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "lists/crm.csv: 2 rows moved to suppressed.csv (rows before 4 = kept 2 + moved 2)"
        ),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read(root.join("lists/crm.csv")).unwrap(),
        b"\xEF\xBB\xBFname;email;note\r\n\
          Ann;ann@gmail.com;\"two\r\nlines\"\r\n\
          Carl;\"carl@gmail.com\";\"a;b\""
    );
    assert_eq!(
        std::fs::read_to_string(root.join("lists/plain.txt")).unwrap(),
        "# team\n\neve@gmail.com"
    );
    let suppressed = std::fs::read_to_string(root.join("suppressed.csv")).unwrap();
    let lines: Vec<&str> = suppressed.lines().collect();
    assert_eq!(lines[0], "address,reason,evidence,source,date");
    assert_eq!(lines.len(), 4, "{suppressed}");
    assert!(suppressed.contains("bob@gmail.com,historic-hard,550 user unknown (history.csv:2),lists/crm.csv:4,2026-03-02"), "{suppressed}");
    assert!(
        suppressed.contains("dan@gmail.com,historic-hard"),
        "{suppressed}"
    );
    assert!(suppressed.contains("lists/plain.txt:2"), "{suppressed}");

    // Nothing is left to remove, and the suppression file gets nothing twice.
    let again = bouncegate(root, &["fix", "lists", "--history", "history.csv"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to remove"));
    assert_eq!(
        std::fs::read_to_string(root.join("suppressed.csv")).unwrap(),
        suppressed
    );
}

#[test]
fn write_clean_and_write_suppressions_leave_the_lists_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("lists")).unwrap();
    std::fs::write(root.join("history.csv"), HISTORY).unwrap();
    let list = "email\nann@gmail.com\nbob@gmail.com\n=cmd|' /C calc'!A0@gmail.com\nbroken@\n";
    std::fs::write(root.join("lists/a.csv"), list).unwrap();
    let output = bouncegate(
        root,
        &[
            "check",
            "lists",
            "--history",
            "history.csv",
            "--write-clean",
            "clean",
            "--write-suppressions",
            "suppress.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "the gate still fails");
    assert_eq!(
        std::fs::read_to_string(root.join("lists/a.csv")).unwrap(),
        list
    );
    assert_eq!(
        std::fs::read_to_string(root.join("clean/lists/a.csv")).unwrap(),
        "email\nann@gmail.com\n",
        "the historic hard bounce and both predicted ones are left out"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("suppress.csv")).unwrap(),
        "email,reason\nbob@gmail.com,historic-hard\n",
        "a provider cannot import addresses it cannot parse"
    );
}

#[test]
fn fix_moves_the_formula_safely_into_the_suppression_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // `=` and `+` are legal in a local part: this address is valid, and it bounced.
    std::fs::write(root.join("list.txt"), "=2+3@gmail.com\nann@gmail.com\n").unwrap();
    std::fs::write(
        root.join("h.csv"),
        "email,code,diagnostic\n=2+3@gmail.com,550,user unknown\n",
    )
    .unwrap();
    let output = bouncegate(root, &["fix", "list.txt", "--history", "h.csv"]);
    assert_eq!(output.status.code(), Some(0));
    let suppressed = std::fs::read_to_string(root.join("suppressed.csv")).unwrap();
    let row = suppressed.lines().nth(1).unwrap();
    assert!(row.starts_with("'=2+3@gmail.com,"), "{row}");
    assert_eq!(
        std::fs::read_to_string(root.join("list.txt")).unwrap(),
        "ann@gmail.com\n"
    );
}

/// Kill `fix` at moments spread over its run: each list is the old file or the new one, and
/// every row is in the list or in the suppression file.
#[test]
fn killed_at_any_moment_no_row_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut list = String::from("email,name");
    let mut history = String::from("email,timestamp,smtp_code,diagnostic\n");
    for n in 0..120_000 {
        list.push_str(&format!("\r\nuser{n}@gmail.com,\"Name {n}\""));
        if n % 150 == 0 {
            history.push_str(&format!("user{n}@gmail.com,2026-01-02,550,user unknown\n"));
        }
    }
    let original = list.into_bytes();
    std::fs::write(root.join("history.csv"), &history).unwrap();

    // The expected result, from a run left to finish.
    let done = root.join("done");
    std::fs::create_dir(&done).unwrap();
    std::fs::write(done.join("list.csv"), &original).unwrap();
    let started = std::time::Instant::now();
    let output = bouncegate(&done, &["fix", "list.csv", "--history", "../history.csv"]);
    assert_eq!(output.status.code(), Some(0));
    let full_run = started.elapsed();
    let fixed = std::fs::read(done.join("list.csv")).unwrap();
    let moved = 800;
    assert_eq!(
        std::fs::read_to_string(done.join("suppressed.csv"))
            .unwrap()
            .lines()
            .count(),
        moved + 1
    );

    let runs = 12;
    for run in 0..runs {
        let work = root.join(format!("run{run}"));
        std::fs::create_dir(&work).unwrap();
        std::fs::write(work.join("list.csv"), &original).unwrap();
        let mut child = support::bin::bouncegate()
            .args([
                "fix",
                "list.csv",
                "--history",
                "../history.csv",
                "--offline",
            ])
            .current_dir(&work)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // From the start to a little past the end of a full run.
        std::thread::sleep(full_run.mul_f64(1.1 * run as f64 / (runs - 1) as f64));
        let _ = child.kill();
        child.wait().unwrap();

        let now = std::fs::read(work.join("list.csv")).unwrap();
        let suppressed = std::fs::read_to_string(work.join("suppressed.csv")).unwrap_or_default();
        if now == fixed {
            assert_eq!(
                suppressed.lines().count(),
                moved + 1,
                "run {run}: the moved rows are saved"
            );
        } else {
            assert_eq!(
                now, original,
                "run {run}: the list is neither the old nor the new file"
            );
            let rows = suppressed.lines().count();
            assert!(
                rows == 0 || rows == moved + 1,
                "run {run}: a partial suppression file"
            );
        }
        // A rerun finishes the job and agrees with the run that was never killed.
        let output = bouncegate(&work, &["fix", "list.csv", "--history", "../history.csv"]);
        assert_eq!(output.status.code(), Some(0));
        assert_eq!(
            std::fs::read(work.join("list.csv")).unwrap(),
            fixed,
            "run {run}"
        );
        assert_eq!(
            std::fs::read_to_string(work.join("suppressed.csv"))
                .unwrap()
                .lines()
                .count(),
            moved + 1,
            "run {run}: nothing twice"
        );
    }
}

#[test]
fn a_suppression_file_among_the_lists_is_never_fixed_as_a_list() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("lists")).unwrap();
    std::fs::write(root.join("history.csv"), HISTORY).unwrap();
    std::fs::write(root.join("lists/a.txt"), "ann@gmail.com\nbob@gmail.com\n").unwrap();
    let args = [
        "fix",
        "lists",
        "--history",
        "history.csv",
        "--suppressions",
        "lists/suppressed.csv",
    ];
    for _ in 0..2 {
        let output = bouncegate(root, &args);
        assert_eq!(output.status.code(), Some(0));
    }
    let suppressed = std::fs::read_to_string(root.join("lists/suppressed.csv")).unwrap();
    assert!(
        suppressed.contains("bob@gmail.com,historic-hard"),
        "{suppressed}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("lists/a.txt")).unwrap(),
        "ann@gmail.com\n"
    );
}
