//! tests/promises.tsv maps every promise bouncegate makes to the tests that fail when it is
//! broken: every long option of every subcommand (read from the built binary's `--help`),
//! every input of action.yml, and every key of rules.schema.json. This test keeps the table
//! whole: a new option, input or key without a row fails it, as does a row for one that is
//! gone, or a row naming a test that does not exist.

mod support {
    pub mod bin;
}

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The subcommands whose options are promises, as typed.
const COMMANDS: &[&[&str]] = &[
    &["check"],
    &["merge"],
    &["fix"],
    &["history", "import"],
    &["explain"],
    &["rules"],
];

/// `CMD --option` for every long option in the Options section of `CMD --help`.
///
/// clap prints an option at the start of its line: `      --rules <PATH>` or `  -q, --quiet`;
/// its description is indented further, so an option named inside a description is not
/// taken for one.
fn options(command: &[&str]) -> Vec<String> {
    let mut args = command.to_vec();
    args.push("--help");
    let output = support::bin::run(Path::new(ROOT), &args);
    assert_eq!(output.status.code(), Some(0), "{args:?}");
    let help = String::from_utf8(output.stdout).unwrap();
    let (_, section) = help
        .split_once("\nOptions:\n")
        .unwrap_or_else(|| panic!("{args:?}: no Options section in\n{help}"));
    let found: Vec<String> = section
        .lines()
        .filter_map(|line| {
            line.strip_prefix("      --").or_else(|| {
                line.strip_prefix("  -")
                    .and_then(|rest| rest.split_once(", --"))
                    .map(|(_, long)| long)
            })
        })
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        })
        .filter(|name| name != "help")
        .map(|name| format!("{} --{name}", command.join(" ")))
        .collect();
    assert!(!found.is_empty(), "{args:?}: no option found in\n{help}");
    found
}

/// `action INPUT` for every input of action.yml.
fn action_inputs() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("action.yml")).unwrap();
    let action: Value = serde_saphyr::from_str(&text).expect("action.yml parses");
    action["inputs"]
        .as_object()
        .expect("action.yml has inputs")
        .keys()
        .map(|input| format!("action {input}"))
        .collect()
}

/// `rules.yaml KEY` for every key of rules.schema.json that holds a value. A key whose value
/// is an object of keys (`dns`, `policy.fail_on`) is promised through its keys; the items of
/// the `rules` list are `rules[].KEY`, the entries of the `reasons` map `reasons.*.KEY`.
fn schema_keys() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("rules.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let mut keys = Vec::new();
    walk(&schema["$defs"], &schema, "", &mut keys);
    assert!(keys.len() > 20, "the schema lost its keys: {keys:?}");
    keys
}

/// Follow `$ref`, and the branch that is not null of `anyOf: [X, null]`.
fn resolve<'a>(defs: &'a Value, mut node: &'a Value) -> &'a Value {
    loop {
        if let Some(reference) = node["$ref"].as_str() {
            node = &defs[reference.trim_start_matches("#/$defs/")];
        } else if let Some(branches) = node["anyOf"].as_array() {
            node = branches
                .iter()
                .find(|branch| branch["type"] != "null")
                .expect("a branch that is not null");
        } else {
            return node;
        }
    }
}

fn walk(defs: &Value, node: &Value, prefix: &str, out: &mut Vec<String>) {
    let Some(properties) = node["properties"].as_object() else {
        return;
    };
    for (name, value) in properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let value = resolve(defs, value);
        let items = resolve(defs, &value["items"]);
        let entries = resolve(defs, &value["additionalProperties"]);
        if value["properties"].is_object() {
            walk(defs, value, &path, out);
        } else if items["properties"].is_object() {
            walk(defs, items, &format!("{path}[]"), out);
        } else if entries["properties"].is_object() {
            walk(defs, entries, &format!("{path}.*"), out);
        } else {
            out.push(format!("rules.yaml {path}"));
        }
    }
}

struct Row {
    line: usize,
    tests: Vec<String>,
}

fn read_table() -> BTreeMap<String, Row> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("tests/promises.tsv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("promise\ttests\twhy"),
        "tests/promises.tsv: the header"
    );
    let mut rows = BTreeMap::new();
    for (index, line) in lines.enumerate() {
        let line_number = index + 2;
        let fields: Vec<&str> = line.split('\t').collect();
        let [promise, tests, why] = fields[..] else {
            panic!("tests/promises.tsv:{line_number}: expected 3 tab-separated fields: {line:?}");
        };
        assert!(
            !why.trim().is_empty(),
            "tests/promises.tsv:{line_number}: {promise}: say why the tests fail"
        );
        let tests: Vec<String> = tests
            .split(',')
            .map(|test| test.trim().to_owned())
            .collect();
        assert!(
            tests.iter().all(|test| !test.is_empty()),
            "tests/promises.tsv:{line_number}: {promise}: an empty test name"
        );
        let row = Row {
            line: line_number,
            tests,
        };
        if let Some(first) = rows.insert(promise.to_owned(), row) {
            panic!(
                "tests/promises.tsv:{line_number}: {promise} is already on line {}",
                first.line
            );
        }
    }
    rows
}

#[test]
fn every_promise_has_a_row_and_every_row_a_promise() {
    let mut promises: BTreeSet<String> = BTreeSet::new();
    for command in COMMANDS {
        promises.extend(options(command));
    }
    promises.extend(action_inputs());
    promises.extend(schema_keys());
    let table = read_table();

    let mut problems = Vec::new();
    for promise in &promises {
        if !table.contains_key(promise) {
            problems.push(format!(
                "{promise}: no row in tests/promises.tsv: name the test that fails when it is ignored"
            ));
        }
    }
    for (promise, row) in &table {
        if !promises.contains(promise) {
            problems.push(format!(
                "tests/promises.tsv:{}: {promise} is no option of --help, input of action.yml or key of rules.schema.json",
                row.line
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_test_named_exists() {
    let root = Path::new(ROOT);
    let mut problems = Vec::new();
    for (promise, row) in read_table() {
        for test in &row.tests {
            let problem = if let Some(dir) = test.strip_prefix("case:") {
                (!root.join("tests/cases").join(dir).join("case").is_file())
                    .then(|| format!("no case file tests/cases/{dir}/case"))
            } else if let Some((file, function)) = test.split_once("::") {
                match std::fs::read_to_string(root.join(file)) {
                    Ok(text) => (!text.contains(&format!("fn {function}(")))
                        .then(|| format!("{file} has no fn {function}(")),
                    Err(error) => Some(format!("{file}: {error}")),
                }
            } else {
                Some(format!("{test:?}: expected case:DIR or FILE::FN"))
            };
            if let Some(problem) = problem {
                problems.push(format!(
                    "tests/promises.tsv:{}: {promise}: {problem}",
                    row.line
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `fix` writes lists, not reports: the report options of `check` are none of its options, so
/// they are refused (exit 2, naming the option) rather than silently ignored.
#[test]
fn fix_refuses_the_report_options_of_check() {
    let fix: BTreeSet<String> = options(&["fix"])
        .into_iter()
        .map(|option| option.replacen("fix ", "", 1))
        .collect();
    let check_only: Vec<String> = options(&["check"])
        .into_iter()
        .map(|option| option.replacen("check ", "", 1))
        .filter(|option| !fix.contains(option))
        .collect();
    assert_eq!(
        check_only,
        [
            "--format",
            "--report-file",
            "--sarif-file",
            "--max-findings",
            "--color",
            "--shard",
            "--split-above",
            "--write-clean",
            "--write-suppressions",
            "--max-bounce-rate"
        ]
    );
    for option in &check_only {
        let output = support::bin::run(Path::new(ROOT), &["fix", option, "x"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{option}: {stderr}");
        assert!(
            stderr.contains(&format!("unexpected argument '{option}'")),
            "{option}: {stderr}"
        );
    }
}
