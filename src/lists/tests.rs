use super::*;
use crate::table;

fn read(name: &str, data: &[u8], options: &ReadOptions) -> ListFile {
    // Tests run in parallel: each file gets a directory of its own.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("bouncegate-lists-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    let list = read_list(&path, options);
    std::fs::remove_dir_all(&dir).unwrap();
    list
}

fn cells(list: &ListFile) -> Vec<(u64, &str)> {
    list.cells.iter().collect()
}

#[test]
fn finds_the_email_column_by_header_name() {
    let list = read(
        "a.csv",
        b"Name;E-Mail Address;Street Address\nAnn;ann@x.de;Main St\n",
        &ReadOptions::default(),
    );
    assert_eq!(cells(&list), vec![(2, "ann@x.de")]);
}

#[test]
fn a_first_row_with_an_address_is_data() {
    let list = read(
        "a.csv",
        b"Ann,ann@x.de\nBob,bob@x.de",
        &ReadOptions::default(),
    );
    assert_eq!(cells(&list), vec![(1, "ann@x.de"), (2, "bob@x.de")]);
}

#[test]
fn classic_mac_line_ends_and_tsv_files() {
    let list = read(
        "a.txt",
        b"ann@x.de\rbob@x.de\rcarl@x.de\r",
        &ReadOptions::default(),
    );
    assert_eq!(
        cells(&list),
        vec![(1, "ann@x.de"), (2, "bob@x.de"), (3, "carl@x.de")]
    );
    let list = read(
        "a.csv",
        b"email\rann@x.de\rbob@x.de",
        &ReadOptions::default(),
    );
    assert_eq!(cells(&list), vec![(2, "ann@x.de"), (3, "bob@x.de")]);
    let list = read(
        "a.tsv",
        b"Last, First\tEmail\nLee, Ann\tann@x.de\n",
        &ReadOptions::default(),
    );
    assert_eq!(cells(&list), vec![(2, "ann@x.de")]);
}

#[test]
fn column_option_names_the_column() {
    let options = ReadOptions {
        column: Some("WORK".to_owned()),
        spans: false,
    };
    let list = read("a.csv", b"email,work\na@x.de,b@y.de\n", &options);
    assert_eq!(cells(&list), vec![(2, "b@y.de")]);
    let list = read("a.csv", b"email\na@x.de\n", &options);
    assert_eq!(list.file_problem.unwrap().1.code(), "column-not-found");
}

#[test]
fn plain_lists_skip_blanks_and_comments_and_count_them() {
    let list = read(
        "a.txt",
        b"# subscribers\r\nann@x.de\r\n\r\n  bob@x.de \r\n",
        &ReadOptions::default(),
    );
    assert_eq!(cells(&list), vec![(2, "ann@x.de"), (4, "  bob@x.de ")]);
    let reasons: Vec<_> = list
        .skips
        .iter()
        .map(|s| (s.line, s.reason.code()))
        .collect();
    assert_eq!(reasons, vec![(1, "comment"), (3, "blank")]);
    assert_eq!(list.cells.len() + list.skips.len(), 4);
}

#[test]
fn ragged_rows_and_empty_cells_are_skips_with_reasons() {
    let list = read(
        "a.csv",
        b"email,name\na@x.de,Ann\nb@x.de\n,Carl\nd@x.de,Dan,extra\n",
        &ReadOptions::default(),
    );
    assert_eq!(cells(&list), vec![(2, "a@x.de")]);
    let reasons: Vec<_> = list
        .skips
        .iter()
        .map(|s| (s.line, s.reason.code()))
        .collect();
    assert_eq!(
        reasons,
        vec![(3, "ragged-row"), (4, "empty-cell"), (5, "ragged-row")]
    );
}

/// A cell of white space only is empty, whichever white space: ASCII, the vertical tab, or
/// Unicode (no-break space, ideographic space), quoted or not; a cell with anything else in it
/// is a cell.
#[test]
fn cells_of_any_white_space_are_empty() {
    let data = "email,name\n \t,A\n\u{0B},B\n\u{A0},C\n\u{3000} ,D\n\" \u{A0}\",E\n\u{A0}x,F\n\u{0B}y ,G\n";
    let list = read("w.csv", data.as_bytes(), &ReadOptions::default());
    assert_eq!(cells(&list), vec![(7, "\u{A0}x"), (8, "\u{0B}y ")]);
    let empty: Vec<_> = list
        .skips
        .iter()
        .map(|s| (s.line, s.reason.code()))
        .collect();
    assert_eq!(
        empty,
        (2..=6).map(|line| (line, "empty-cell")).collect::<Vec<_>>()
    );
}

/// The syntax stage takes the cells' text out of the whole file's, checked once: the same text
/// as each cell's own, past a BOM, in quoted cells, and with CR line ends; a file with a byte
/// that is not UTF-8 has no whole text, and each cell is read on its own.
#[test]
fn text_from_the_whole_file_is_each_cells_text() {
    let files: [(&str, &[u8], bool); 4] = [
        (
            "a.csv",
            b"email,n\na@x.de,1\n\"b\"\"q@x.de\",2\n c@x.de ,3\n",
            true,
        ),
        (
            "b.csv",
            b"\xEF\xBB\xBFemail\r\nd@x.de\r\n\xC3\xA9@x.de\r\n",
            true,
        ),
        ("c.csv", b"email\re@x.de\rf@x.de\r", true),
        ("d.csv", b"email\ng@x.de\n\xE9@x.de\nh@x.de\n", false),
    ];
    for (name, data, utf8) in files {
        let list = read(name, data, &ReadOptions::default());
        let whole = list.cells.whole_text();
        assert_eq!(whole.is_some(), utf8, "{name}");
        let mut in_whole = 0;
        let texts: Vec<&str> = list
            .cells
            .parts()
            .iter()
            .flat_map(|part| {
                part.cells()
                    .iter()
                    .map(|&cell| list.cells.text_in(part, cell))
            })
            .map(|(text, start)| {
                // A text said to stand in the whole file's text stands there.
                if let Some(start) = start {
                    assert_eq!(whole.unwrap().get(start..start + text.len()), Some(text));
                    in_whole += 1;
                }
                text
            })
            .collect();
        // Only a quoted field, or a cell of a file with a bad byte, is read on its own.
        assert!(utf8 == (in_whole > 0), "{name}: {in_whole}");
        let own: Vec<&str> = cells(&list).into_iter().map(|(_, text)| text).collect();
        assert_eq!(texts, own, "{name}");
        assert!(own.len() >= 2, "{name}: {own:?}");
    }
}

#[test]
fn file_level_problems_stop_the_file() {
    let empty = read("e.csv", b"", &ReadOptions::default());
    assert_eq!(empty.file_problem.unwrap().1.code(), "empty-file");
    let no_column = read("n.csv", b"name,phone\nAnn,123\n", &ReadOptions::default());
    assert_eq!(
        no_column.file_problem.unwrap(),
        (
            1,
            InputProblem::NoEmailColumn {
                header: vec!["name".to_owned(), "phone".to_owned()]
            }
        )
    );
}

/// Everything a reader says about a list, to compare two reads of it.
fn everything(list: &ListFile) -> String {
    format!(
        "cells {:?}\nskips {:?}\nspans {:?}\nproblem {:?}\nother {:?}",
        cells(list),
        list.skips,
        list.spans,
        list.file_problem,
        list.other_email_column
    )
}

fn chunked(name: &str, data: &[u8], chunk_bytes: usize) -> ListFile {
    let options = ReadOptions {
        column: None,
        spans: true,
    };
    read::read_chunked(
        Path::new(name),
        table::FileBytes::Read(data.to_vec()),
        &options,
        chunk_bytes,
    )
}

/// Read in chunks as small as a byte (every line start a chunk start), a list reads as it
/// does in one piece: the same cells at the same lines, skips, spans and problems.
#[test]
fn chunked_reading_reads_what_serial_reading_reads() {
    let files: &[(&str, &[u8])] = &[
        (
            "a.csv",
            b"name,email\r\n\"Lee,\r\nAnn\",ann@x.de\r\n\r\nbob,\"b\"\"ob@x.de\"\r\ncarl, carl@x.de \r\n",
        ),
        (
            "b.csv",
            b"\xEF\xBB\xBFemail;note\n\"a@x.de\";\"one\ntwo\nthree\"\nb@x.de;x;extra\n;empty\nc\xE9@x.de;y\nd@x.de;\"open\ne@x.de;z\n",
        ),
        ("c.csv", b"a@x.de,1\rb@x.de,2\r\"c\r@x.de\",3\r"),
        ("d.csv", b"email\n\n\nann@x.de\n\"bob@x.de\"\n\"q\"\"@x.de\"\nend@x.de"),
        ("e.csv", b"bad\xE9,x\n\"a\nb\",c\nemail,x\nann@x.de,1\n"),
        ("f.txt", b"# list\r\nann@x.de\r\n\r\n  bob@x.de \r\nc\0@x.de\n\n"),
        ("g.txt", b"ann@x.de\rbob@x.de\r"),
    ];
    for (name, data) in files {
        let whole = everything(&chunked(name, data, usize::MAX));
        for chunk_bytes in [1, 2, 5, 13] {
            assert_eq!(
                everything(&chunked(name, data, chunk_bytes)),
                whole,
                "{name} in chunks of {chunk_bytes}"
            );
        }
    }
    // The first file's lines (a cell after a quoted newline is on the next line) and spans,
    // worked out by hand.
    let list = chunked("a.csv", files[0].1, 1);
    assert_eq!(
        cells(&list),
        vec![(3, "ann@x.de"), (5, "b\"ob@x.de"), (6, " carl@x.de ")]
    );
    // The plain list ends in a blank line (the body past its final newline ends in one).
    for chunk_bytes in [1, usize::MAX] {
        let list = chunked("f.txt", files[5].1, chunk_bytes);
        let skips: Vec<(u64, &str)> = list
            .skips
            .iter()
            .map(|s| (s.line, s.reason.code()))
            .collect();
        assert_eq!(
            skips,
            vec![(1, "comment"), (3, "blank"), (5, "nul-byte"), (6, "blank")]
        );
    }
    let spans: Vec<(u64, usize, usize)> = list
        .spans
        .iter()
        .map(|s| (s.line, s.start, s.end))
        .collect();
    assert_eq!(spans, vec![(3, 12, 34), (5, 36, 54), (6, 54, 72)]);
}

/// A list big enough to be read on all cores by default, with quoted newlines and CRLF all
/// through it, reads as it does in one piece.
#[test]
fn a_big_list_is_read_on_all_cores_with_true_lines() {
    let mut data = b"email,note\r\n".to_vec();
    let mut expected = Vec::new();
    let mut line = 2;
    for i in 0..300_000 {
        if i % 7 == 0 {
            data.extend_from_slice(format!("u{i}@x.de,\"two\r\nlines\"\r\n").as_bytes());
            expected.push((line, format!("u{i}@x.de")));
            line += 2;
        } else {
            data.extend_from_slice(format!("u{i}@x.de,plain\n").as_bytes());
            expected.push((line, format!("u{i}@x.de")));
            line += 1;
        }
    }
    assert!(data.len() > 2 * table::CHUNK_BYTES);
    let list = read_list_bytes(Path::new("big.csv"), &data, &ReadOptions::default());
    let read: Vec<(u64, String)> = list
        .cells
        .iter()
        .map(|(line, text)| (line, text.to_owned()))
        .collect();
    assert_eq!(read, expected);
    assert_eq!(
        everything(&chunked("big.csv", &data, table::CHUNK_BYTES)),
        everything(&chunked("big.csv", &data, usize::MAX))
    );
}
