//! `typo-domain`: the domain is not a known provider's but a typo of one (`gmial.com`,
//! `hotmail.con`, `yaho.co.uk`), and the suggestion is the provider's domain.
//!
//! A domain is compared as its first label, the name (`gmial`), and the rest, the suffix
//! (`com`, `co.uk`), each with a weighted Damerau-Levenshtein distance (optimal string
//! alignment), counted in half steps:
//!
//! | edit | cost |
//! |---|---|
//! | two neighbouring letters swapped (`gmial`) | 1/2 |
//! | a key next to the right one (`gmsil`; QWERTY, QWERTZ or AZERTY) | 1/2 |
//! | a letter doubled, or one of a double typed once (`gmaill`, `yaho`) | 1/2 |
//! | an extra key next to its neighbour (`gmaikl`) | 1/2 |
//! | any other letter missing, extra or wrong | 1 |
//!
//! In the name, an edit of the first letter costs twice as much (people rarely get it wrong,
//! and a word with another first letter is usually another word: `cloud` is not `icloud`).
//! How far a name may be depends on its length, since short names have real neighbours:
//!
//! | provider's name | name within | so |
//! |---|---|---|
//! | 1-3 letters (`gmx`, `aol`, `me`, `163`) | none: the suffix alone | `gmc.com`, `ao.com`, `mi.com` are not flagged; `aol.con` is |
//! | 4 letters (`live`, `free`, `mail`) | 1/2, swaps and doubles only | `lvie.com`; never `life.com` |
//! | 5-6 letters (`gmail`, `yahoo`, `icloud`) | 1 | `gmai.com`, `yhaoo.com` |
//! | 7 or more (`hotmail`, `outlook`) | 3/2 | `hotmal.com`, `outlok.com` |
//!
//! A digit in the name of a provider whose name has none makes another name (`yahoo2`,
//! `terra24`), not a typo. The suffix may be 1 off (`con`, `cm`, `co`, `om` for `com`), but a country code is never
//! taken for a typo of another one (`gmx.ch` is not `gmx.de`). A domain on the known list
//! (the providers, data/known.txt, rules.yaml's `risk.typo.allow`) is never flagged. Each
//! domain is compared once per run, and only with the names of about its length that share
//! most of its letters.

use foldhash::{HashSet, HashSetExt};

use super::role::data_lines;

/// The domains suggested (data/providers.txt).
const PROVIDERS: &str = include_str!("data/providers.txt");

/// Legitimate look-alikes, never flagged (data/known.txt).
const KNOWN: &str = include_str!("data/known.txt");

/// Costs, in half steps.
const CHEAP: u8 = 1;
const FULL: u8 = 2;
const NEVER: u8 = 100;

/// How far the suffix may be, in half steps.
const SUFFIX_BUDGET: u8 = 2;

/// The longest name compared; a provider's name is at most 11 letters.
const MAX_NAME: usize = 31;

/// Country-code top-level domains: a typo of one country's suffix that spells another's is
/// taken for that other country (IANA's root zone, the two-letter delegations).
const COUNTRY_CODES: &str = "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj \
bm bn bo br bs bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do \
dz ec ee eg er es et eu fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk \
hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc \
li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne \
nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc \
sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw \
tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw";

/// A provider's domain suggested for a typo, and how far the typo was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suggestion<'a> {
    pub domain: &'a str,
    /// In half steps: 1 is one cheap edit (`gmial`), 2 one full edit (`gmai`).
    pub halves: u8,
}

impl Suggestion<'_> {
    /// The distance in edits: 0.5, 1.0, 1.5, ...
    pub fn distance(&self) -> f64 {
        f64::from(self.halves) / 2.0
    }
}

/// The providers' names, each with its suffixes: what a domain is compared with.
#[derive(Debug, Clone)]
struct Name {
    name: Box<str>,
    letters: u64,
    /// How far a name may be, in half steps, and whether only swaps and doubles count.
    budget: u8,
    strict: bool,
    /// (suffix, domain, rank): the rank breaks ties, the earlier line first.
    variants: Vec<(Box<str>, Box<str>, usize)>,
}

#[derive(Debug, Clone, Default)]
pub struct Typos {
    names: Vec<Name>,
    known: HashSet<Box<str>>,
}

impl Typos {
    /// The built-in providers and look-alikes, plus the domains rules.yaml allows
    /// (lowercased A-labels).
    pub fn new(allow: &[String]) -> Typos {
        let mut known = HashSet::with_capacity(512);
        let mut names: Vec<Name> = Vec::new();
        for (rank, domain) in data_lines(PROVIDERS).enumerate() {
            known.insert(Box::from(domain));
            let Some((name, suffix)) = domain.split_once('.') else {
                continue;
            };
            let at = match names.iter().position(|n| &*n.name == name) {
                Some(at) => at,
                None => {
                    let (budget, strict) = match name.len() {
                        0..=3 => (0, true),
                        4 => (CHEAP, true),
                        5 | 6 => (FULL, false),
                        _ => (FULL + CHEAP, false),
                    };
                    names.push(Name {
                        name: name.into(),
                        letters: letters(name.as_bytes()),
                        budget,
                        strict,
                        variants: Vec::new(),
                    });
                    names.len() - 1
                }
            };
            names[at]
                .variants
                .push((suffix.into(), domain.into(), rank));
        }
        for domain in data_lines(KNOWN).chain(allow.iter().map(String::as_str)) {
            known.insert(Box::from(domain));
        }
        Typos { names, known }
    }

    /// Whether the domain is a provider's or a known look-alike: never a typo.
    pub fn is_known(&self, domain: &str) -> bool {
        self.known.contains(domain)
    }

    /// The provider's domain this one is a typo of, when it is one.
    pub fn suggest(&self, domain: &str) -> Option<Suggestion<'_>> {
        if self.is_known(domain) || !domain.is_ascii() {
            return None;
        }
        let (name, suffix) = domain.split_once('.')?;
        let typed = name.as_bytes();
        if typed.len() > MAX_NAME {
            return None;
        }
        let typed_letters = letters(typed);
        let mut best: Option<(u8, usize, &str)> = None;
        for candidate in &self.names {
            let intended = candidate.name.as_bytes();
            // Each edit costs at least a half step and changes at most two letters (and the
            // length by one): most names are ruled out before any table is filled.
            let budget = usize::from(candidate.budget);
            let digit_added = candidate.letters & DIGITS == 0 && typed_letters & DIGITS != 0;
            if digit_added
                || typed.len().abs_diff(intended.len()) > budget
                || (typed_letters ^ candidate.letters).count_ones() as usize > 2 * budget
            {
                continue;
            }
            let Some(name_cost) = distance(
                intended,
                typed,
                candidate.budget,
                Mode::name(candidate.strict),
            ) else {
                continue;
            };
            for (provider_suffix, provider, rank) in &candidate.variants {
                let Some(suffix_cost) = suffix_distance(provider_suffix, suffix) else {
                    continue;
                };
                let total = name_cost + suffix_cost;
                if total == 0 {
                    continue;
                }
                if best.is_none_or(|(cost, best_rank, _)| (total, *rank) < (cost, best_rank)) {
                    best = Some((total, *rank, provider));
                }
            }
        }
        best.map(|(halves, _, domain)| Suggestion { domain, halves })
    }

    /// Every provider's domain, in rank order.
    pub fn providers(&self) -> impl Iterator<Item = &str> {
        let mut all: Vec<(usize, &str)> = self
            .names
            .iter()
            .flat_map(|name| name.variants.iter().map(|(_, d, rank)| (*rank, &**d)))
            .collect();
        all.sort_unstable();
        all.into_iter().map(|(_, domain)| domain)
    }
}

/// How far the typed suffix is from the provider's, within [`SUFFIX_BUDGET`]; a country code
/// typed for another country code is no typo.
fn suffix_distance(intended: &str, typed: &str) -> Option<u8> {
    if intended == typed {
        return Some(0);
    }
    let last = |suffix: &str| suffix.rsplit('.').next().unwrap_or_default().to_owned();
    let (intended_last, typed_last) = (last(intended), last(typed));
    if intended_last.len() == 2 && typed_last.len() == 2 && is_country_code(&typed_last) {
        return None;
    }
    distance(
        intended.as_bytes(),
        typed.as_bytes(),
        SUFFIX_BUDGET,
        Mode::SUFFIX,
    )
}

fn is_country_code(code: &str) -> bool {
    code.len() == 2
        && COUNTRY_CODES
            .split(' ')
            .any(|known| known.eq_ignore_ascii_case(code))
}

/// The digits' bits in [`letters`].
const DIGITS: u64 = 0x3FF << 26;

/// The set of characters a name holds, one bit each (`a`-`z`, `0`-`9`, the rest on one bit).
fn letters(text: &[u8]) -> u64 {
    text.iter().fold(0, |set, &c| {
        set | 1
            << match c {
                b'a'..=b'z' => c - b'a',
                b'0'..=b'9' => 26 + c - b'0',
                _ => 36,
            }
    })
}

/// Which edits cost what.
#[derive(Debug, Clone, Copy)]
struct Mode {
    /// An edit of the first letter costs double.
    first_letter_doubles: bool,
    /// Only swaps and doubled letters count: any other edit is too far.
    strict: bool,
}

impl Mode {
    const SUFFIX: Mode = Mode {
        first_letter_doubles: false,
        strict: false,
    };

    fn name(strict: bool) -> Mode {
        Mode {
            first_letter_doubles: true,
            strict,
        }
    }
}

/// The weighted optimal-string-alignment distance from `intended` to `typed`, in half steps,
/// when it is at most `budget`.
fn distance(intended: &[u8], typed: &[u8], budget: u8, mode: Mode) -> Option<u8> {
    let (n, m) = (intended.len(), typed.len());
    if n > MAX_NAME || m > MAX_NAME {
        return None;
    }
    let first = |touches_first: bool, cost: u8| {
        if mode.first_letter_doubles && touches_first {
            cost.saturating_mul(2)
        } else {
            cost
        }
    };
    let strictly = |cheap: bool, cost: u8| if mode.strict && !cheap { NEVER } else { cost };
    // Typing `typed[j - 1]` that was not meant, with `intended[..i]` typed so far: cheap when
    // it doubles a neighbour or sits next to one on the keyboard.
    let insert = |i: usize, j: usize| {
        let c = typed[j - 1];
        let before = (j >= 2).then(|| typed[j - 2]);
        let next = intended.get(i).copied();
        let doubles = before == Some(c) || next == Some(c);
        let near = [before, next].into_iter().flatten().any(|n| adjacent(n, c));
        let cost = if doubles || near { CHEAP } else { FULL };
        first(j == 1, strictly(doubles, cost))
    };
    // Leaving `intended[i - 1]` out: cheap when it is one of a double.
    let delete = |i: usize| {
        let c = intended[i - 1];
        let doubled = (i >= 2 && intended[i - 2] == c) || intended.get(i) == Some(&c);
        first(
            i == 1,
            strictly(doubled, if doubled { CHEAP } else { FULL }),
        )
    };
    let substitute = |i: usize, j: usize| {
        let (a, b) = (intended[i - 1], typed[j - 1]);
        if a == b {
            0
        } else {
            let near = adjacent(a, b);
            first(
                i == 1 || j == 1,
                strictly(false, if near { CHEAP } else { FULL }),
            )
        }
    };

    let mut rows = [[NEVER; MAX_NAME + 1]; 3];
    rows[0][0] = 0;
    for j in 1..=m {
        rows[0][j] = rows[0][j - 1].saturating_add(insert(0, j)).min(NEVER);
    }
    let mut previous_min = rows[0][..=m].iter().copied().min().unwrap_or(NEVER);
    for i in 1..=n {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = rows[prev][0].saturating_add(delete(i)).min(NEVER);
        let mut row_min = rows[cur][0];
        for j in 1..=m {
            let mut best = rows[prev][j]
                .saturating_add(delete(i))
                .min(rows[cur][j - 1].saturating_add(insert(i, j)))
                .min(rows[prev][j - 1].saturating_add(substitute(i, j)));
            if i >= 2
                && j >= 2
                && intended[i - 1] == typed[j - 2]
                && intended[i - 2] == typed[j - 1]
                && intended[i - 1] != intended[i - 2]
            {
                best = best.min(rows[prev2][j - 2].saturating_add(first(i == 2, CHEAP)));
            }
            rows[cur][j] = best.min(NEVER);
            row_min = row_min.min(rows[cur][j]);
        }
        // A swap reaches back two rows: give up only when two rows in a row are too far.
        if row_min > budget && previous_min > budget {
            return None;
        }
        previous_min = row_min;
    }
    let cost = rows[n % 3][m];
    (cost <= budget).then_some(cost)
}

/// Whether two keys touch on a QWERTY, QWERTZ or AZERTY keyboard.
fn adjacent(a: u8, b: u8) -> bool {
    a != b && a < 128 && b < 128 && ADJACENT[usize::from(a)] & (1u128 << b) != 0
}

/// For each ASCII key, the keys that touch it on any of the three layouts.
static ADJACENT: [u128; 128] = keyboard_adjacency();

const fn keyboard_adjacency() -> [u128; 128] {
    // Rows of each layout, and how far each row is shifted right, in quarter keys.
    const LAYOUTS: [[&[u8]; 4]; 3] = [
        [b"1234567890-", b"qwertyuiop", b"asdfghjkl;", b"zxcvbnm,./"],
        [b"1234567890-", b"qwertzuiop", b"asdfghjkl;", b"yxcvbnm,.-"],
        [b"1234567890-", b"azertyuiop", b"qsdfghjklm", b"wxcvbn,;:!"],
    ];
    const SHIFT: [i32; 4] = [0, 2, 3, 5];
    let mut table = [0u128; 128];
    let mut layout = 0;
    while layout < LAYOUTS.len() {
        let rows = LAYOUTS[layout];
        let mut r1: usize = 0;
        while r1 < 4 {
            let mut r2: usize = 0;
            while r2 < 4 {
                let rows_apart = r1.abs_diff(r2);
                if rows_apart <= 1 {
                    let mut c1 = 0;
                    while c1 < rows[r1].len() {
                        let mut c2 = 0;
                        while c2 < rows[r2].len() {
                            let x1 = c1 as i32 * 4 + SHIFT[r1];
                            let x2 = c2 as i32 * 4 + SHIFT[r2];
                            let dx = x1.abs_diff(x2);
                            let touch = if rows_apart == 0 { dx == 4 } else { dx < 4 };
                            if touch {
                                let (a, b) = (rows[r1][c1], rows[r2][c2]);
                                table[a as usize] |= 1u128 << b;
                                table[b as usize] |= 1u128 << a;
                            }
                            c2 += 1;
                        }
                        c1 += 1;
                    }
                }
                r2 += 1;
            }
            r1 += 1;
        }
        layout += 1;
    }
    table
}

#[cfg(test)]
mod tests;
