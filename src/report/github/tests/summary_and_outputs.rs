//! The job summary and the step outputs.

use super::*;

#[test]
fn markdown_cells_are_escaped() {
    assert_eq!(
        md("a|b <script>alert(1)</script> `x` [l](u) *e* _u_ \\ ~s~ &amp;\nnext\rline"),
        "a\\|b &lt;script&gt;alert(1)&lt;/script&gt; \\`x\\` \\[l\\](u) \\*e\\* \\_u\\_ \\\\ \\~s\\~ &amp;amp; next line"
    );
    let long = "x".repeat(5_000);
    assert_eq!(md(&long).chars().count(), CELL_CHARS + 1);
}

#[test]
fn summary_shape() {
    let report = sample();
    let summary = step_summary_with(&report, None);
    assert!(summary.starts_with("## bouncegate: ❌ fail\n"));
    assert!(
        summary
            .contains("| lists/news.csv | 5 | 2 | 1 | 0 | 2 | 80.00% (limit 2.00%) | **fail** |"),
        "{summary}"
    );
    assert!(summary.contains("### Findings\n"));
    assert!(
        summary.contains("| lists/news.csv:3 | error | historic-hard | bob@yahoo.com hard-bounced")
    );
    assert!(summary.contains("| lists/news.csv | error | bounce-rate | projected bounce rate"));
    // All six fit the table: no details section repeats them.
    assert!(!summary.contains("<details>"), "{summary}");
    assert_eq!(summary.matches("bob@yahoo.com hard-bounced").count(), 1);
    assert!(!summary.contains("left out"));

    let empty = report_pass();
    let summary = step_summary_with(&empty, None);
    assert!(summary.starts_with("## bouncegate: ✅ pass\n"));
    assert!(summary.ends_with("No findings.\n"));
}

fn report_pass() -> Report {
    report(vec![list("lists/ok.csv", Vec::new())], Vec::new())
}

#[test]
fn summary_links() {
    let links = Links::from_vars(|name| {
        Some(
            match name {
                "GITHUB_SERVER_URL" => "https://github.com/",
                "GITHUB_REPOSITORY" => "acme/lists",
                "GITHUB_SHA" => "0123abcd",
                _ => return None,
            }
            .to_owned(),
        )
    })
    .unwrap();
    let summary = step_summary_with(&sample(), Some(&links));
    assert!(summary.contains(
        "| [lists/news.csv:3](https://github.com/acme/lists/blob/0123abcd/lists/news.csv#L3) | error | historic-hard |"
    ), "{summary}");
    assert!(summary.contains(
        "| [lists/news.csv](https://github.com/acme/lists/blob/0123abcd/lists/news.csv) | error | bounce-rate |"
    ));
    // Odd file names are encoded in the URL and escaped in the text.
    assert_eq!(
        links.url(Path::new("./lists/a b(1)#[x].csv"), Some(9)),
        "https://github.com/acme/lists/blob/0123abcd/lists/a%20b%281%29%23%5Bx%5D.csv#L9"
    );
    // Without all three variables there are no links.
    assert_eq!(
        Links::from_vars(|name| (name != "GITHUB_SHA").then(|| "x".to_owned())),
        None
    );
    assert_eq!(Links::from_vars(|_| Some(String::new())), None);
}

#[test]
fn summary_stays_under_the_limit() {
    let findings: Vec<Finding> = (0..50_000u64)
        .map(|i| {
            finding(
                "lists/big.csv",
                Some(i + 2),
                if i % 2 == 0 {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                Some(&format!("user{i}@example.com")),
                if i % 2 == 0 {
                    historic("x")
                } else {
                    Reason::Duplicate { first_line: 1 }
                },
            )
        })
        .collect();
    let report = report(vec![list("lists/big.csv", findings)], Vec::new());
    let summary = step_summary_with(&report, None);
    assert!(summary.len() <= SUMMARY_LIMIT, "{}", summary.len());
    assert!(summary.len() > SUMMARY_LIMIT - 10 * TAIL_RESERVE);
    assert!(summary.contains("### Top 20 of 50000 findings"));
    assert!(summary.contains("</details>\n"));
    let note = summary.lines().last().unwrap();
    assert!(note.starts_with("**"), "{note}");
    assert!(note.contains("of 50000 findings are left out"));
    assert!(note.contains("the JSON report (`--format json`) has them all"));
    let left: usize = note
        .trim_start_matches('*')
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let rows = summary
        .lines()
        .filter(|l| l.starts_with("| lists/big.csv:"))
        .count();
    // Every finding is in the top table, in the details once, or counted as left out.
    assert!(summary.contains("<details><summary>The other 49980 findings</summary>"));
    assert_eq!(rows + left, 50_000);
    assert_eq!(
        summary.matches("| lists/big.csv:2 |").count(),
        1,
        "listed once"
    );

    // One file, two codes: two annotations and the notice, however many findings there are.
    let text = annotations(&report);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains("25000 findings of historic-hard on lines 2, 4, 6,"));
}

#[test]
fn outputs_format() {
    let report = sample();
    let text = outputs(&report, Some(Path::new("out/report.json")));
    let pairs = parse_outputs(&text);
    let expect = [
        ("result", "fail"),
        ("bounce-rate", "0.8000"),
        ("predicted-hard", "2"),
        ("historic-hard", "1"),
        ("findings", "6"),
        ("report", "out/report.json"),
    ];
    assert_eq!(
        pairs,
        expect
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    );
    let first = text.lines().next().unwrap();
    let delimiter = first.strip_prefix("result<<").unwrap();
    assert_eq!(text.lines().nth(1), Some("fail"));
    assert_eq!(text.lines().nth(2), Some(delimiter));
    assert!(text.ends_with('\n'));

    let pass = outputs(&report_pass(), None);
    let pairs = parse_outputs(&pass);
    assert_eq!(pairs[0], ("result".to_owned(), "pass".to_owned()));
    assert_eq!(pairs[1], ("bounce-rate".to_owned(), "0.0000".to_owned()));
    assert_eq!(pairs[5], ("report".to_owned(), String::new()));
}

#[test]
fn bad_input_is_a_failed_result() {
    let findings = vec![finding(
        "lists/a.csv",
        Some(1),
        Severity::Error,
        None,
        Reason::BadInput {
            problem: InputProblem::EmptyFile,
        },
    )];
    let mut list = list("lists/a.csv", findings);
    list.verdict = Verdict::BadInput;
    let report = report(vec![list], Vec::new());
    assert_eq!(report.verdict, RunVerdict::BadInput);
    assert!(outputs(&report, None).contains("\nfail\n"));
    assert!(step_summary_with(&report, None).starts_with("## bouncegate: ⛔ bad input\n"));
    assert!(annotations(&report).contains("::notice title=bouncegate::BAD INPUT: "));
}

#[test]
fn delimiters_avoid_the_value() {
    let a = delimiter("");
    let b = delimiter("");
    assert_ne!(a, b);
    let value = format!("x\n{a}\ny");
    assert_ne!(delimiter(&value), a);
}
