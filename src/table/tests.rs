use super::*;

fn lines_of_first_field(data: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for_each_record(data.as_bytes(), b',', |record| {
        let record = record.unwrap();
        let last = record.len() - 1;
        out.push((
            record.line_of_field(last),
            record.field(last).unwrap().to_owned(),
        ));
    });
    out
}

#[test]
fn line_numbers_survive_crlf_and_quoted_newlines() {
    let data =
        "name,email\r\n\"Ann\r\nSmith\",ann@x.de\r\n\r\nbob,bob@x.de\r\n\"a\nb\nc\",\"c@x.de\"";
    assert_eq!(
        lines_of_first_field(data),
        vec![
            (1, "email".to_owned()),
            (3, "ann@x.de".to_owned()),
            (5, "bob@x.de".to_owned()),
            (8, "c@x.de".to_owned()),
        ]
    );
}

#[test]
fn sniffs_the_delimiter_outside_quotes() {
    assert_eq!(sniff_delimiter(b"email;name\na;b"), b';');
    assert_eq!(sniff_delimiter(b"\"a,b,c\";d;e\n"), b';');
    assert_eq!(sniff_delimiter(b"email\tname"), b'\t');
    assert_eq!(sniff_delimiter(b"email|name|x"), b'|');
    assert_eq!(sniff_delimiter(b"email\n"), b',');
}

#[test]
fn reports_bad_bytes_with_their_line_and_column() {
    let mut problems = Vec::new();
    for_each_record(b"email\nann@x.de\nb\xE9b@x.de\nc\0@x.de\n", b',', |r| {
        if let Err(problem) = r {
            problems.push(problem);
        }
    });
    assert_eq!(
        problems,
        vec![
            (
                3,
                InputProblem::NotUtf8 {
                    byte: 0xE9,
                    column: 2
                }
            ),
            (4, InputProblem::NulByte { column: 2 }),
        ]
    );
}

#[test]
fn a_stray_quote_inside_one_line_is_data() {
    let mut problems = Vec::new();
    for_each_record(b"email,item\na@x.de,5\" floppy\n", b',', |r| {
        if let Err(problem) = r {
            problems.push(problem);
        }
    });
    assert_eq!(problems, vec![]);
}

#[test]
fn an_unclosed_quote_is_reported() {
    let mut problems = Vec::new();
    for_each_record(b"email,name\na@x.de,\"Ann\nb@x.de,Bob\n", b',', |r| {
        if let Err(problem) = r {
            problems.push(problem);
        }
    });
    assert_eq!(problems, vec![(2, InputProblem::UnterminatedQuote)]);
}

#[test]
fn prelude_strips_bom_and_rejects_empty_and_utf16() {
    assert_eq!(&*decode_prelude(b"\xEF\xBB\xBFemail").unwrap(), b"email");
    assert_eq!(&*decode_prelude(b"a\rb\r").unwrap(), b"a\nb\n");
    assert_eq!(&*decode_prelude(b"a\r\nb").unwrap(), b"a\r\nb");
    assert_eq!(decode_prelude(b" \n\r\n"), Err(InputProblem::EmptyFile));
    assert_eq!(decode_prelude(b"\xFF\xFEe\0"), Err(InputProblem::Utf16));
}

/// What a visitor sees, owned: a record (line, span, each field with its line) or a problem.
#[derive(Debug, PartialEq)]
enum Seen {
    Record {
        line: u64,
        span: (usize, usize),
        fields: Vec<(u64, Vec<u8>)>,
    },
    Problem(u64, InputProblem),
}

fn seen(record: Result<Record<'_>, (u64, InputProblem)>) -> Seen {
    match record {
        Ok(record) => Seen::Record {
            line: record.line,
            span: record.span,
            fields: (0..record.len())
                .map(|i| {
                    (
                        record.line_of_field(i),
                        record.field_bytes(i).unwrap().to_vec(),
                    )
                })
                .collect(),
        },
        Err((line, problem)) => Seen::Problem(line, problem),
    }
}

/// The reader as it was before the scanner: the csv crate over the whole input, lines counted
/// from byte offsets. The scanner must see exactly what it saw.
fn reference(bytes: &[u8], delimiter: u8) -> Vec<Seen> {
    let mut out = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut last: Option<(u64, usize)> = None;
    let mut cursor = (0usize, 1u64);
    while let Ok(true) = reader.read_byte_record(&mut record) {
        let mut end = (reader.position().byte() as usize).min(bytes.len());
        if end > 0 && bytes[end - 1] == b'\r' && bytes.get(end) == Some(&b'\n') {
            end += 1;
        }
        let mut start = record.position().map_or(cursor.0, |p| p.byte() as usize);
        while start < end && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        let line = cursor.1 + memchr::memchr_iter(b'\n', &bytes[cursor.0..start]).count() as u64;
        cursor = (start, line);
        last = Some((line, start));
        out.push(match check_raw(&bytes[start..end], line) {
            Ok(()) => {
                let mut field_line = line;
                let fields = record
                    .iter()
                    .map(|field| {
                        let at = field_line;
                        field_line += memchr::memchr_iter(b'\n', field).count() as u64;
                        (at, field.to_vec())
                    })
                    .collect();
                Seen::Record {
                    line,
                    span: (start, end),
                    fields,
                }
            }
            Err((line, problem)) => Seen::Problem(line, problem),
        });
    }
    if let Some((line, problem)) = unterminated_quote(bytes, last) {
        out.push(Seen::Problem(line, problem));
    }
    out
}

fn serial(bytes: &[u8], delimiter: u8) -> Vec<Seen> {
    let mut out = Vec::new();
    for_each_record(bytes, delimiter, |record| out.push(seen(record)));
    out
}

fn parallel(bytes: &[u8], delimiter: u8, chunk_bytes: usize) -> Vec<Seen> {
    let start = Stopped {
        at: Position { offset: 0, line: 1 },
        last: None,
    };
    par_for_each_record(
        bytes,
        delimiter,
        start,
        chunk_bytes,
        Vec::with_capacity,
        |part, record| {
            part.push(seen(record));
        },
    )
    .into_iter()
    .flatten()
    .collect()
}

/// The parts, handed on a round of `round` chunks at a time, and how many records had been
/// visited when each part was handed on.
fn in_rounds(bytes: &[u8], chunk_bytes: usize, round: usize) -> (Vec<Seen>, Vec<usize>) {
    let start = Stopped {
        at: Position { offset: 0, line: 1 },
        last: None,
    };
    let visited = std::sync::atomic::AtomicUsize::new(0);
    let (mut out, mut visited_when_taken) = (Vec::new(), Vec::new());
    let chunking = Chunking { chunk_bytes, round };
    par_for_each_record_in_rounds(
        bytes,
        b',',
        start,
        chunking,
        Vec::with_capacity,
        |part: &mut Vec<Seen>, record| {
            visited.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            part.push(seen(record));
        },
        |part| {
            visited_when_taken.push(visited.load(std::sync::atomic::Ordering::Relaxed));
            out.extend(part);
        },
    );
    (out, visited_when_taken)
}

/// splitmix64: the same cases on every run.
fn generator(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |n| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// Files made of the pieces CSV gets wrong: quotes (doubled, stray, unclosed), quoted
/// newlines, CRLF and lone CRs, blank lines, BOMs, NUL and bytes that are not UTF-8.
fn tricky_file(next: &mut impl FnMut(usize) -> usize) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"ann@x.de",
        b"Bob",
        b",",
        b",",
        b";",
        b"\n",
        b"\n",
        b"\r\n",
        b"\r",
        b"\"",
        b"\"\"",
        b"\"a,\nb\"",
        b"\"q\r\n\"",
        b" ",
        b"\xEF\xBB\xBF",
        b"\0",
        b"\xE9",
        b"\xC3\xA9",
        b"5\" floppy",
    ];
    let mut file = Vec::new();
    for _ in 0..next(60) {
        file.extend_from_slice(PIECES[next(PIECES.len())]);
    }
    file
}

#[test]
fn the_scanner_reads_what_the_csv_crate_read() {
    let mut next = generator(0xC5F);
    for case in 0..10_000 {
        let file = tricky_file(&mut next);
        let delimiter = [b',', b';'][case % 2];
        assert_eq!(
            serial(&file, delimiter),
            reference(&file, delimiter),
            "{:?}",
            String::from_utf8_lossy(&file)
        );
    }
}

/// The scanner looks at a long line 32 bytes at a time: a quote, a CR, a NUL, a byte that is
/// not ASCII or a delimiter is seen wherever it stands, in a block or in the rest.
#[test]
fn long_lines_are_read_alike_wherever_a_special_byte_stands() {
    const SPECIALS: &[&[u8]] = &[
        b"\"",
        b"\"\"",
        b"\r",
        b"\0",
        b"\xE9",
        "é".as_bytes(),
        b",",
        b";",
    ];
    for special in SPECIALS {
        for at in 0..80 {
            let mut line = b"ann.lee@mail.example.org,Ann Lee,2026-01-10,x".repeat(2);
            line.truncate(80);
            line.splice(at..at, special.iter().copied());
            let mut file = b"email,name\n".to_vec();
            file.extend_from_slice(&line);
            file.extend_from_slice(b"\nbob@x.de,Bob\n");
            for delimiter in [b',', b';'] {
                assert_eq!(
                    serial(&file, delimiter),
                    reference(&file, delimiter),
                    "{:?}",
                    String::from_utf8_lossy(&file)
                );
            }
        }
    }
    // CRLF lines of every length around the blocks' ends, so that the CR ends a block and the
    // LF starts the next; with a lone CR inside, and without.
    for len in 1..100 {
        for lone_cr in [None, Some(len / 2)] {
            let mut line = b"ann.lee@mail.example.org,Ann Lee,2026-01-10,x".repeat(3);
            line.truncate(len);
            if let Some(at) = lone_cr {
                line[at] = b'\r';
            }
            let mut file = b"email,name\r\n".to_vec();
            file.extend_from_slice(&line);
            file.extend_from_slice(b"\r\nbob@x.de,Bob\r\n");
            assert_eq!(
                serial(&file, b','),
                reference(&file, b','),
                "{:?}",
                String::from_utf8_lossy(&file)
            );
        }
    }
}

#[test]
fn chunks_read_what_one_scan_reads() {
    let mut next = generator(0xB16);
    for case in 0..1_500 {
        let file = tricky_file(&mut next);
        let whole = serial(&file, b',');
        for chunk_bytes in [1, 2, 3, 7, 16] {
            assert_eq!(
                parallel(&file, b',', chunk_bytes),
                whole,
                "case {case}, chunks of {chunk_bytes}: {:?}",
                String::from_utf8_lossy(&file)
            );
        }
        for (chunk_bytes, round) in [(1, 1), (1, 3), (7, 2)] {
            assert_eq!(
                in_rounds(&file, chunk_bytes, round).0,
                whole,
                "case {case}, chunks of {chunk_bytes}, rounds of {round}: {:?}",
                String::from_utf8_lossy(&file)
            );
        }
    }
}

#[test]
fn a_quoted_newline_on_a_chunk_boundary_keeps_its_lines() {
    // Every line start is a chunk start: the quoted newlines and CRLFs fall on boundaries.
    let data = b"email,note\r\nann@x.de,\"one\r\ntwo\"\r\nbob@x.de,plain\r\n\"c@x.de\",\"a\nb\nc\"\nd@x.de,x\n";
    let chunked = parallel(data, b',', 1);
    assert_eq!(chunked, serial(data, b','));
    let lines: Vec<(u64, u64)> = chunked
        .iter()
        .map(|seen| match seen {
            Seen::Record { line, fields, .. } => (*line, fields[1].0),
            Seen::Problem(line, _) => (*line, 0),
        })
        .collect();
    assert_eq!(lines, vec![(1, 1), (2, 2), (4, 4), (5, 5), (8, 8)]);
}

#[test]
fn rounds_hand_their_parts_on_before_the_next_round_is_read() {
    let data: String = (0..100).map(|i| format!("user{i}@x.de,{i}\n")).collect();
    let (records, visited_when_taken) = in_rounds(data.as_bytes(), 64, 2);
    assert_eq!(records, serial(data.as_bytes(), b','));
    // The first part went on while most of the file was still unread.
    assert!(visited_when_taken.len() > 10, "{visited_when_taken:?}");
    assert!(visited_when_taken[0] < 20, "{visited_when_taken:?}");
    assert_eq!(visited_when_taken.last(), Some(&100));
}
