//! The JSON reader on small documents: record lines, JSON lines, broken documents and the scanner
//! on any input.

use super::*;

#[test]
fn finds_the_lines_of_records() {
    let text = b"{\n  \"x\": [1, {\"a\": \"]}\\\"\"},\n  {}],\n  \"items\": [\n    {\"k\": 1},\n    {\"k\": 2}\n  ]\n}\n";
    let file = JsonFile::read(text, Source::MailgunEvents).unwrap();
    let roots = file.roots();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0].line, 1);
    let items = file.member(&roots[0], "items").unwrap();
    assert_eq!(items.line, 4);
    let elements = file.elements(&items);
    assert_eq!(
        elements
            .iter()
            .map(|e| (e.path.as_str(), e.line))
            .collect::<Vec<_>>(),
        vec![("$.items[0]", 5), ("$.items[1]", 6)]
    );
    let x = file.elements(&file.member(&roots[0], "x").unwrap());
    assert_eq!(x.iter().map(|e| e.line).collect::<Vec<_>>(), vec![2, 2, 3]);
}

#[test]
fn reads_json_lines_and_reports_bad_lines() {
    let text = b"{\"a\": 1}\n\n  {\"a\": 2}\n{\"a\": \n[3]\n";
    let file = JsonFile::read(text, Source::Ses).unwrap();
    let lines: Vec<u64> = file.roots().iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![1, 3, 5]);
    assert_eq!(file.problems.len(), 1);
    assert_eq!(file.problems[0].line, 4);
    assert!(file.problems[0].message.contains("not valid JSON"));
}

#[test]
fn a_broken_document_is_an_error_with_its_position() {
    let error = JsonFile::read(b"[\n {\"a\": 1},\n {\"a\": tru", Source::Ses)
        .err()
        .unwrap();
    match error {
        ImportError::Json { line, column, .. } => assert_eq!((line, column), (3, 10)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_scanner_ends_on_any_input() {
    for text in [
        &b"[\"\\"[..],
        b"{\"a",
        b"{\"a\":",
        b"[1,",
        b"{\"a\":1 x",
        b"[",
        b"{",
    ] {
        assert!(element_offsets(text, 0).is_none_or(|v| v.len() < 9));
        assert!(member_offset(text, 0, "a").is_none_or(|i| i <= text.len()));
    }
}
