use super::*;
use email_address::EmailAddress;

fn code(text: &str) -> &'static str {
    match check_address(text, SyntaxOptions::default()) {
        Ok(_) => "ok",
        Err(error) => error.code(),
    }
}

#[test]
fn accepts_ordinary_and_international_addresses() {
    for good in [
        "ann@example.de",
        "first.last+tag@sub.domain.co.uk",
        "o'brien@mail.ie",
        "user@bücher.de",
        "用户@例子.广告",
        "user@xn--bcher-kva.de",
        "user@b\u{FC}cher\u{3002}de",
        "user@\u{43F}\u{440}\u{438}\u{43C}\u{435}\u{440}.\u{440}\u{444}",
        "x@a-b.io",
    ] {
        assert_eq!(code(good), "ok", "{good}");
    }
}

#[test]
fn what_email_address_alone_accepts_is_rejected_here() {
    let cases = [
        ("user@localhost", "no-tld"),
        ("a@ex!ample.com", "bad-domain-label"),
        ("a@exa_mple.com", "bad-domain-label"),
        ("a@[hello]", "domain-literal"),
        ("\"john doe\"@mail.de", "quoted-local-part"),
        ("ann\u{200B}@mail.de", "unsafe-character"),
        ("ann@mail\u{202E}.de", "unsafe-character"),
        ("\u{FEFF}ann@mail.de", "unsafe-character"),
        ("ann@\u{E000}mail.de", "unsafe-character"),
        ("ann\u{2028}@mail.de", "unsafe-character"),
        ("ann smith@mail.de", "unsafe-character"),
    ];
    for (text, expected) in cases {
        assert_eq!(code(text), expected, "{text:?}");
    }
    let long = format!(
        "{}@{}.com",
        "a".repeat(64),
        vec!["b".repeat(60); 4].join(".")
    );
    assert_eq!(code(&long), "too-long");
}

/// The fast path skips email_address for dot-atom addresses: everything it accepts there,
/// email_address must accept too.
#[test]
fn what_passes_here_passes_email_address_too() {
    let locals = [
        "a",
        "first.last",
        "o'brien",
        "x+tag",
        "a_b-c",
        "{x}|~",
        "Ünïcödé",
        "用户",
    ];
    let domains = [
        "mail.de",
        "sub.mail.co.uk",
        "bücher.de",
        "xn--bcher-kva.de",
        "a-b.io",
        "例子.广告",
    ];
    let strict = email_address::Options::default()
        .with_required_tld()
        .without_display_text()
        .without_domain_literal();
    for local in locals {
        for domain in domains {
            let text = format!("{local}@{domain}");
            let address = check_address(&text, SyntaxOptions::default()).unwrap();
            assert!(
                EmailAddress::parse_with_options(address.as_str(), strict).is_ok(),
                "{text}"
            );
        }
    }
}

#[test]
fn length_limits_are_in_octets() {
    assert_eq!(code(&format!("{}@mail.de", "a".repeat(64))), "ok");
    assert_eq!(
        code(&format!("{}@mail.de", "a".repeat(65))),
        "local-too-long"
    );
    // 22 two-octet characters: 22 characters, 44 octets; 33 of them is 66 octets.
    assert_eq!(
        code(&format!("{}@mail.de", "é".repeat(33))),
        "local-too-long"
    );
    assert_eq!(code(&format!("a@{}.de", "b".repeat(63))), "ok");
    assert_eq!(code(&format!("a@{}.de", "b".repeat(64))), "label-too-long");
    let domain = vec!["c".repeat(63); 4].join(".");
    assert_eq!(code(&format!("a@{domain}")), "domain-too-long");
}

#[test]
fn domain_labels_follow_ldh_rules() {
    for (text, expected) in [
        ("a@-mail.de", "bad-domain-label"),
        ("a@mail-.de", "bad-domain-label"),
        ("a@ab--cd.de", "bad-domain-label"),
        ("a@xn--zz.de", "bad-idna"),
        ("a@x\u{3002}\u{3002}de", "bad-domain-dot"),
        ("a@\u{3002}x.de", "bad-domain-dot"),
        ("a@x.\u{34F}.de", "bad-domain-dot"),
        ("a@x.de\u{3002}", "bad-domain-dot"),
        ("a@\u{2615}.de", "bad-idna"),
        ("a@i\u{2764}.ws", "bad-idna"),
        ("a@xn--ls8h.la", "bad-idna"),
        ("a@a\u{B7}b.de", "bad-idna"),
        ("a@mail..de", "bad-domain-dot"),
        ("a@.mail.de", "bad-domain-dot"),
        ("a@mail.de.", "bad-domain-dot"),
        ("a@mail.123", "bad-tld"),
        ("a@", "empty-domain"),
        ("@mail.de", "empty-local-part"),
        ("a.@mail.de", "bad-local-dot"),
        ("a..b@mail.de", "bad-local-dot"),
        ("a(b)@mail.de", "bad-local-character"),
        ("ann.mail.de", "missing-at"),
        ("Ann <ann@mail.de>", "display-name"),
    ] {
        assert_eq!(code(text), expected, "{text:?}");
    }
}

#[test]
fn special_use_domains_never_receive_mail() {
    for text in [
        "a@example.com",
        "a@sub.example.org",
        "a@example.net",
        "a@shop.example",
        "a@host.invalid",
        "a@x.test",
        "a@printer.local",
        "a@abc.onion",
        "a@1.in-addr.arpa",
    ] {
        assert_eq!(code(text), "special-use-domain", "{text}");
    }
    // Only whole labels match: these are ordinary domains.
    assert_eq!(code("a@notexample.com"), "ok");
    assert_eq!(code("a@mytest.de"), "ok");
}

#[test]
fn options_allow_quoted_local_parts_and_ip_literals() {
    let options = SyntaxOptions {
        allow_quoted_local: true,
        allow_domain_literal: true,
        case_sensitive_local: false,
    };
    assert!(check_address("\"john doe\"@mail.de", options).is_ok());
    assert!(check_address("a@[192.0.2.1]", options).is_ok());
    assert!(check_address("a@[IPv6:2001:db8::1]", options).is_ok());
    assert_eq!(
        check_address("a@[hello]", options).unwrap_err().code(),
        "bad-ip-literal"
    );
}

#[test]
fn normalises_to_nfc_local_part_and_lowercase_a_label_domain() {
    // "e" + combining acute (NFD) becomes the precomposed é.
    let address = check_address("Rene\u{301}@BÜCHER.de", SyntaxOptions::default()).unwrap();
    assert_eq!(address.as_str(), "René@xn--bcher-kva.de");
    assert_eq!(address.key(), "rené@xn--bcher-kva.de");
    assert_eq!(address.domain(), "xn--bcher-kva.de");

    let sensitive = SyntaxOptions {
        case_sensitive_local: true,
        ..SyntaxOptions::default()
    };
    let address = check_address("Ann@Mail.DE", sensitive).unwrap();
    assert_eq!(address.key(), "Ann@mail.de");
}

const ALL_OPTIONS: [SyntaxOptions; 4] = [
    SyntaxOptions {
        allow_quoted_local: false,
        allow_domain_literal: false,
        case_sensitive_local: false,
    },
    SyntaxOptions {
        allow_quoted_local: false,
        allow_domain_literal: false,
        case_sensitive_local: true,
    },
    SyntaxOptions {
        allow_quoted_local: true,
        allow_domain_literal: true,
        case_sensitive_local: false,
    },
    SyntaxOptions {
        allow_quoted_local: true,
        allow_domain_literal: true,
        case_sensitive_local: true,
    },
];

/// The verdict, reason and key of `check_address` (fast path first) are the full check's.
fn assert_same_as_full(text: &str) {
    for options in ALL_OPTIONS {
        let fast = ascii::check(text, options);
        let full = full::check(text, options);
        if let Some(accepted) = fast {
            // An address taken as it stands is the text, and its own key.
            if accepted == ascii::Accepted::AsIs {
                let address = full.as_ref().expect("valid");
                assert_eq!((address.as_str(), address.key()), (text, text));
            }
            assert_eq!(
                Ok(&accepted.into_address(text)),
                full.as_ref(),
                "{text:?} {options:?}"
            );
        }
        assert_eq!(check_address(text, options), full, "{text:?} {options:?}");
    }
}

#[test]
fn the_ascii_fast_path_takes_plain_addresses() {
    for plain in [
        "ann@mail.de",
        "Ann.Lee+tag@Mail.DE",
        "o'brien@sub.mail-host.co.uk",
        "{x}|~!#$%&*/=?^_`@a1.io",
        "1@2.de",
        "ANN@MAIL.DE",
    ] {
        for options in ALL_OPTIONS {
            assert!(ascii::check(plain, options).is_some(), "{plain}");
        }
        assert_same_as_full(plain);
    }
    let address = ascii::check("Ann.Lee@Mail.DE", SyntaxOptions::default())
        .unwrap()
        .into_address("Ann.Lee@Mail.DE");
    assert_eq!(address.as_str(), "Ann.Lee@mail.de");
    assert_eq!(address.key(), "ann.lee@mail.de");
}

#[test]
fn the_ascii_fast_path_leaves_the_rest_to_the_full_check() {
    let long_local = format!("{}@mail.de", "a".repeat(64));
    let longer_local = format!("{}@mail.de", "a".repeat(65));
    let long_label = format!("a@{}.de", "b".repeat(63));
    let longer_label = format!("a@{}.de", "b".repeat(64));
    let long_domain = format!("a@{}.de", vec!["c".repeat(62); 4].join("."));
    let long_address = format!(
        "{}@{}.com",
        "a".repeat(64),
        vec!["b".repeat(60); 4].join(".")
    );
    let tricky = [
        "user@xn--bcher-kva.de",
        "user@XN--BCHER-KVA.DE",
        "a@xn--zz.de",
        "a@ab--cd.de",
        "a@a--b.de",
        "a@abc--d.de",
        "a@ab---c.de",
        "a@sub.ab--cd.de",
        "a@b.-a.de",
        "a@a.b-.de",
        "a@x.y",
        "a@x.y-z",
        "a@.de",
        "a@de",
        ".@mail.de",
        "a..@mail.de",
        "user@bücher.de",
        "Rene\u{301}@mail.de",
        "ann\u{200B}@mail.de",
        "\"john doe\"@mail.de",
        "\"j\\\"d\"@mail.de",
        "a@[192.0.2.1]",
        "a@[IPv6:2001:db8::1]",
        "Ann <ann@mail.de>",
        "<ann@mail.de>",
        "ann smith@mail.de",
        "ann\t@mail.de",
        "a..b@mail.de",
        ".a@mail.de",
        "a.@mail.de",
        "a@mail..de",
        "a@.mail.de",
        "a@mail.de.",
        "a@-mail.de",
        "a@mail-.de",
        "a@mail.123",
        "a@mail.de1",
        "a@localhost",
        "a@Example.COM",
        "a@shop.example",
        "a@notexample.com",
        "a@b@mail.de",
        "@mail.de",
        "a@",
        "ann.mail.de",
        "a@exa_mple.com",
        "a(b)@mail.de",
        &long_local,
        &longer_local,
        &long_label,
        &longer_label,
        &long_domain,
        &long_address,
    ];
    for text in tricky {
        assert_same_as_full(text);
    }
    // What needs Unicode, IDNA or the quoted grammar is never decided on the fast path.
    for text in [
        "user@xn--bcher-kva.de",
        "user@bücher.de",
        "\"john doe\"@mail.de",
        "a@[192.0.2.1]",
    ] {
        assert!(ascii::check(text, ALL_OPTIONS[2]).is_none(), "{text}");
    }
}

/// Addresses built from the pieces that trip syntax checks up, compared fast against full.
#[test]
fn the_ascii_fast_path_agrees_with_the_full_check_on_generated_addresses() {
    // Mostly plain pieces, so that both paths are taken often.
    const PLAIN: &[&str] = &["ann", "Lee", "Z", "0", "9", "mail", "de", "com", "x-y"];
    const TRICKY: &[&str] = &[
        ".",
        "..",
        "@",
        "-",
        "--",
        "_",
        "+",
        "'",
        "!",
        "{",
        "~",
        "xn--",
        "XN--",
        "xn--bcher-kva",
        "ab--cd",
        "Example",
        "localhost",
        "test",
        "\"",
        " ",
        "\t",
        "é",
        "Ü",
        "\u{200B}",
        "\u{3002}",
        "ß",
        "[",
        "]",
        "<",
        ">",
        "(",
        ":",
        "1.2",
    ];
    let mut state = 0x5EED_u64;
    let mut next = |n: usize| {
        // splitmix64: the same cases on every run.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    };
    let piece = |next: &mut dyn FnMut(usize) -> usize| {
        if next(4) == 0 {
            TRICKY[next(TRICKY.len())]
        } else {
            PLAIN[next(PLAIN.len())]
        }
    };
    let mut fast = 0;
    for _ in 0..20_000 {
        let mut text = String::new();
        for _ in 0..1 + next(4) {
            text.push_str(piece(&mut next));
        }
        text.push('@');
        for label in 0..1 + next(3) {
            if label > 0 {
                text.push('.');
            }
            for _ in 0..1 + next(2) {
                text.push_str(piece(&mut next));
            }
        }
        text.push_str([".de", ".COM", "", ".x1"][next(4)]);
        fast += usize::from(ascii::check(&text, SyntaxOptions::default()).is_some());
        assert_same_as_full(&text);
    }
    // The generator reaches both paths.
    assert!(fast > 1_000, "{fast}");
}

/// A million checked cells wait in memory for the gate: they stay at 24 bytes each (the usual
/// address is a span of the list's text; any other, or an invalid cell, is one box).
#[test]
fn a_checked_cell_stays_small() {
    assert!(
        size_of::<CheckedCell>() <= 24,
        "{}",
        size_of::<CheckedCell>()
    );
    let address = check_address("Ann.Lee@Mail.DE", SyntaxOptions::default()).unwrap();
    assert_eq!(address.to_string(), "Ann.Lee@mail.de");
    assert_eq!(address.domain(), "mail.de");
    assert_eq!(
        address.into_key_and_display(),
        ("ann.lee@mail.de".into(), Some("Ann.Lee@mail.de".into()))
    );
    // A quoted local part may hold an @, and a folded key follows the address in the text.
    let quoted = SyntaxOptions {
        allow_quoted_local: true,
        ..SyntaxOptions::default()
    };
    let at_inside = check_address("\"Ann@Home\"@Mail.DE", quoted).unwrap();
    assert_eq!(at_inside.domain(), "mail.de");
    assert_ne!(at_inside.key(), at_inside.as_str());
    let plain = check_address("ann@mail.de", SyntaxOptions::default()).unwrap();
    assert_eq!(plain.into_key_and_display(), ("ann@mail.de".into(), None));
}

/// A list's checked cells read back as each cell's trimmed text checks on its own: the
/// addresses kept as spans of the file (the usual, lower-case ones), those normalised, those
/// of quoted fields, and invalid cells; past a BOM, with CR LF line ends, and in a file with
/// a byte that is not UTF-8 (where no cell is a span of the file).
#[test]
fn checked_cells_read_back_as_each_cell_checks() {
    let files: [(&str, &[u8], bool); 3] = [
        (
            "plain.csv",
            b"email,n\nann@mail.de,1\n  bob@x.org ,2\nAnn.Lee@Mail.DE,3\n\"cy@x.org\",4\n\"d,e\"@x.org,5\nno-at,6\nuser@b\xC3\xBCcher.de,7\nsam@Example.com,8\n",
            true,
        ),
        (
            "bom.csv",
            b"\xEF\xBB\xBFemail\r\nann@mail.de\r\n x@y.io\r\nBob@x.org\r\n",
            true,
        ),
        (
            "latin1.csv",
            b"email\nann@mail.de\n\xE9@x.de\nbob@x.org\n",
            false,
        ),
    ];
    for options in ALL_OPTIONS {
        for (name, bytes, utf8) in files {
            let list = crate::lists::read_list_bytes(
                std::path::Path::new(name),
                bytes,
                &crate::lists::ReadOptions::default(),
            );
            let texts: Vec<(u64, String)> = list
                .cells
                .iter()
                .map(|(line, text)| (line, text.to_owned()))
                .collect();
            let checked = check_cells(list.cells, options);
            assert_eq!(checked.len(), texts.len(), "{name}");
            for ((line, text), cell) in texts.iter().zip(checked.view().iter()) {
                assert_eq!(cell.line(), *line, "{name}");
                let trimmed = text.trim();
                assert_eq!(cell.padded(), trimmed != text, "{name} {text:?}");
                match (check_address(trimmed, options), cell.checked) {
                    (Ok(address), Checked::Valid(read)) => {
                        assert_eq!(read.as_str(), address.as_str(), "{name} {text:?}");
                        assert_eq!(read.key(), address.key(), "{name} {text:?}");
                        assert_eq!(read.domain(), address.domain(), "{name} {text:?}");
                        assert_eq!(read.to_address(), address, "{name} {text:?}");
                    }
                    (Err(error), Checked::Invalid(invalid)) => {
                        assert_eq!((&*invalid.text, &invalid.error), (trimmed, &error));
                    }
                    (expected, read) => panic!("{name} {text:?}: {expected:?} read as {read:?}"),
                }
            }
            // The usual address is no copy: a span of the file, when the file is UTF-8.
            assert_eq!(checked.kept_in_file() > 0, utf8, "{name}");
        }
    }
}
