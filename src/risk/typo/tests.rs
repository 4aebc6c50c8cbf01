//! The distance and its thresholds; the tables of real typos and real look-alikes are in
//! tests/risk.rs, read from tests/fixtures/risk/.

use super::*;

fn typos() -> Typos {
    Typos::new(&[])
}

fn suggestion(domain: &str) -> Option<(String, f64)> {
    typos()
        .suggest(domain)
        .map(|s| (s.domain.to_owned(), s.distance()))
}

#[test]
fn keys_touch_on_any_of_the_three_layouts() {
    for (a, b) in [
        (b'g', b'h'),
        (b'g', b't'),
        (b'g', b'b'),
        (b'm', b'n'),
        (b'o', b'p'),
    ] {
        assert!(
            adjacent(a, b) && adjacent(b, a),
            "{} {}",
            a as char,
            b as char
        );
    }
    // QWERTZ puts z where QWERTY has y; AZERTY swaps a and q, z and w, and puts m beside l.
    assert!(adjacent(b'z', b'u'));
    assert!(adjacent(b'a', b'z'));
    assert!(adjacent(b'm', b'l'));
    assert!(adjacent(b'l', b'.'));
    for (a, b) in [(b'g', b'e'), (b'a', b'p'), (b'q', b'm'), (b'g', b'g')] {
        assert!(!adjacent(a, b), "{} {}", a as char, b as char);
    }
}

#[test]
fn each_kind_of_edit_costs_what_the_table_says() {
    let name = |a: &str, b: &str| distance(a.as_bytes(), b.as_bytes(), 10, Mode::name(false));
    assert_eq!(name("gmail", "gmail"), Some(0));
    assert_eq!(name("gmail", "gmial"), Some(1), "swap");
    assert_eq!(name("gmail", "gmsil"), Some(1), "a key next to it");
    assert_eq!(name("gmail", "gmaill"), Some(1), "a doubled letter");
    assert_eq!(name("yahoo", "yaho"), Some(1), "one of a double typed once");
    assert_eq!(
        name("gmail", "gmaikl"),
        Some(1),
        "an extra key next to its neighbour"
    );
    assert_eq!(name("gmail", "gmai"), Some(2), "a letter missing");
    assert_eq!(
        name("gmail", "gmeil"),
        Some(2),
        "a key far from the right one"
    );
    assert_eq!(
        name("gmail", "fmail"),
        Some(2),
        "the first letter costs double"
    );
    assert_eq!(name("gmail", "email"), Some(4), "the first letter, far");
    assert_eq!(name("icloud", "cloud"), Some(4), "the first letter missing");
    assert_eq!(
        name("gmail", "mgail"),
        Some(2),
        "a swap of the first letter"
    );
    let suffix = |a: &str, b: &str| distance(a.as_bytes(), b.as_bytes(), 10, Mode::SUFFIX);
    assert_eq!(suffix("com", "con"), Some(1));
    assert_eq!(suffix("com", "cmo"), Some(1));
    assert_eq!(suffix("com", "comm"), Some(1));
    assert_eq!(suffix("com", "cm"), Some(2));
    assert_eq!(suffix("com", "om"), Some(2), "no double cost in a suffix");
    assert_eq!(suffix("co.uk", "co.uj"), Some(1));
}

#[test]
fn the_budget_gives_up_early_and_never_answers_over_it() {
    let far = distance(b"hotmail", b"zzzzzzzzzz", 3, Mode::name(false));
    assert_eq!(far, None);
    assert_eq!(distance(b"gmail", b"gmai", 1, Mode::name(false)), None);
    assert_eq!(distance(b"gmail", b"gmai", 2, Mode::name(false)), Some(2));
    // A swap late in the word, after a row that is over the budget on its own.
    assert_eq!(distance(b"ab", b"ba", 1, Mode::SUFFIX), Some(1));
}

#[test]
fn short_names_take_only_swaps_and_doubles_or_nothing() {
    // Four letters: a swap or a double, never a substitution (life.com, love.com are real).
    assert_eq!(suggestion("lvie.com"), Some(("live.com".to_owned(), 0.5)));
    assert_eq!(suggestion("livve.com"), Some(("live.com".to_owned(), 0.5)));
    assert_eq!(suggestion("life.com"), None);
    assert_eq!(suggestion("lve.com"), None);
    // Three letters or fewer: the suffix alone.
    assert_eq!(suggestion("gmc.com"), None);
    assert_eq!(suggestion("ao.com"), None);
    assert_eq!(suggestion("mi.com"), None);
    assert_eq!(suggestion("at.net"), None, "not even one of a double");
    assert_eq!(suggestion("aoll.com"), None, "not even a doubled letter");
    assert_eq!(suggestion("gxm.de"), None, "not even a swap");
    assert_eq!(suggestion("aol.con"), Some(("aol.com".to_owned(), 0.5)));
    assert_eq!(suggestion("qq.cm"), Some(("qq.com".to_owned(), 1.0)));
}

#[test]
fn a_name_and_its_suffix_may_both_be_off() {
    assert_eq!(suggestion("gmial.con"), Some(("gmail.com".to_owned(), 1.0)));
    assert_eq!(
        suggestion("hotmial.co"),
        Some(("hotmail.com".to_owned(), 1.5))
    );
    assert_eq!(
        suggestion("yaho.co.uk"),
        Some(("yahoo.co.uk".to_owned(), 0.5))
    );
    assert_eq!(
        suggestion("yahoo.co.uj"),
        Some(("yahoo.co.uk".to_owned(), 0.5))
    );
}

#[test]
fn a_digit_in_a_name_of_letters_makes_another_name() {
    assert_eq!(suggestion("yahoo2.com"), None);
    assert_eq!(suggestion("terra2.com.br"), None);
    // No top-level domain holds a digit: in the suffix, a typo.
    assert_eq!(
        suggestion("gmail.com2"),
        Some(("gmail.com".to_owned(), 1.0))
    );
    assert_eq!(
        suggestion("164.con"),
        None,
        "a name of digits is compared as it is"
    );
    assert_eq!(suggestion("163.con"), Some(("163.com".to_owned(), 0.5)));
}

#[test]
fn a_country_code_is_another_country_not_a_typo() {
    assert_eq!(suggestion("gmx.ch"), None, "known anyway");
    assert_eq!(suggestion("web.se"), None);
    assert_eq!(suggestion("orange.de"), None);
    assert_eq!(suggestion("yahoo.com.au"), None, "a provider");
    assert_eq!(suggestion("hotmail.com.tr"), None);
    // A two-letter code that is no country is a typo; so is a country typed for `com`.
    assert_eq!(suggestion("gmx.dr"), Some(("gmx.de".to_owned(), 0.5)));
    assert_eq!(suggestion("gmail.cm"), Some(("gmail.com".to_owned(), 1.0)));
    assert_eq!(
        suggestion("hotmail.co"),
        Some(("hotmail.com".to_owned(), 1.0))
    );
}

#[test]
fn known_domains_and_allowed_ones_are_never_flagged() {
    let typos = typos();
    for provider in typos.providers() {
        assert_eq!(typos.suggest(provider), None, "{provider}");
    }
    assert_eq!(suggestion("ymail.com"), None);
    assert_eq!(suggestion("mail.com"), None);
    let allowed = Typos::new(&["gmial.com".to_owned()]);
    assert_eq!(allowed.suggest("gmial.com"), None);
    assert!(typos.suggest("gmial.com").is_some());
}

#[test]
fn ties_go_to_the_provider_listed_first() {
    // `fe` is no country code, and one key off both `fr` (r, e) and `de` (d, f): yahoo.fr
    // is listed before yahoo.de.
    assert_eq!(suggestion("yahoo.fe"), Some(("yahoo.fr".to_owned(), 0.5)));
}

#[test]
fn the_provider_list_has_the_big_ones_and_their_country_variants() {
    let typos = typos();
    let providers: Vec<&str> = typos.providers().collect();
    for domain in [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "hotmail.com",
        "hotmail.co.uk",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "mail.ru",
        "yandex.ru",
        "qq.com",
        "163.com",
        "naver.com",
        "comcast.net",
    ] {
        assert!(providers.contains(&domain), "{domain}");
    }
    let names: HashSet<&str> = providers
        .iter()
        .map(|d| d.split('.').next().unwrap())
        .collect();
    assert!(names.len() >= 50, "{} providers", names.len());
}
