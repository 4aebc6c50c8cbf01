//! The JSON report keeps the shape docs/report-schema.md documents (schema version 2).

mod support {
    pub mod bin;
}

use serde_json::Value;

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

#[test]
fn the_json_report_has_the_documented_shape() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = support::bin::bouncegate()
        .args([
            "check",
            "examples/lists",
            "--history",
            "examples/bounces",
            "--format",
            "json",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();

    assert_eq!(report["schema_version"], 2);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["exit_code"], 1);
    // Run in bouncegate's own repository: its rules.yaml is the built-in file, not a layer.
    assert_eq!(report["rules_file"], Value::Null);
    assert_eq!(
        keys(&report),
        [
            "dns",
            "exit_code",
            "history",
            "lists",
            "policy",
            "rules_file",
            "schema_version",
            "timings",
            "totals",
            "verdict"
        ]
    );
    assert_eq!(
        keys(&report["totals"]),
        [
            "addresses",
            "bounce_rate",
            "bouncing",
            "complaints",
            "disposable_domain",
            "duplicates",
            "errors",
            "historic_hard",
            "lists",
            "predicted_hard",
            "repeated_soft",
            "role_account",
            "rows_checked",
            "rows_read",
            "rows_skipped",
            "typo_domain",
            "warnings"
        ]
    );
    assert_eq!(
        keys(&report["history"]),
        [
            "addresses",
            "events_read",
            "events_used",
            "files",
            "findings",
            "window_days",
            "window_end"
        ]
    );
    // The example history's events are about five addresses.
    assert_eq!(report["history"]["addresses"], 5);
    assert_eq!(
        keys(&report["dns"]),
        [
            "checked",
            "domains",
            "elapsed_ms",
            "from_cache",
            "looked_up",
            "mx_hosts",
            "no_nameserver",
            "notes"
        ]
    );
    assert_eq!(report["dns"]["checked"], false, "--offline");
    assert_eq!(
        keys(&report["timings"]),
        ["dns_ms", "gate_ms", "history_ms", "lists_ms", "total_ms"]
    );
    let list = &report["lists"][1];
    assert_eq!(list["path"], "examples/lists/newsletter.csv");
    assert_eq!(keys(list), ["findings", "path", "stats", "verdict"]);
    assert_eq!(
        keys(&list["stats"]),
        [
            "addresses",
            "bounce_rate",
            "bouncing",
            "complaints",
            "disposable_domain",
            "domains",
            "duplicates",
            "historic_hard",
            "predicted_hard",
            "repeated_soft",
            "role_account",
            "rows_checked",
            "rows_read",
            "rows_skipped",
            "sender_blocks",
            "skipped",
            "typo_domain"
        ]
    );
    for finding in list["findings"].as_array().unwrap() {
        assert_eq!(
            keys(finding),
            [
                "address", "code", "file", "line", "message", "reason", "severity"
            ]
        );
        assert!(finding["reason"]["kind"].is_string());
    }
    let historic = &list["findings"][0];
    assert_eq!(historic["code"], "historic-hard");
    assert_eq!(historic["reason"]["evidence"]["enhanced"], "5.1.1");
    assert_eq!(historic["reason"]["evidence"]["rule"], "recipient-unknown");
    assert_eq!(historic["reason"]["evidence"]["reason"], "userunknown");
}
