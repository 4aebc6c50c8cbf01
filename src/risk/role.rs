//! `role-account`: the local part names a function (info@, sales@, kontakt@), not a person.

use foldhash::{HashSet, HashSetExt};

/// The built-in role names (data/roles.txt: its header says where they come from).
const BUILT_IN: &str = include_str!("data/roles.txt");

/// Longer local parts are never looked up: no role name is this long.
const MAX_LEN: usize = 32;

/// The role names, lowercased, with a quick test that turns most local parts away before
/// they are hashed: which lengths occur for each first byte.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    names: HashSet<Box<str>>,
    /// Bit `n` of `lengths[b]`: some name starts with byte `b` and is `n` bytes long.
    lengths: Vec<u64>,
}

impl Roles {
    /// The built-in names, plus `add`, less `remove` (each compared lowercased).
    pub fn new(add: &[String], remove: &[String]) -> Roles {
        let removed: HashSet<String> = remove.iter().map(|name| name.to_lowercase()).collect();
        let mut names = HashSet::with_capacity(256);
        for name in data_lines(BUILT_IN)
            .map(str::to_owned)
            .chain(add.iter().map(|name| name.trim().to_lowercase()))
        {
            if !name.is_empty() && name.len() <= MAX_LEN && !removed.contains(&name) {
                names.insert(name.into_boxed_str());
            }
        }
        let mut lengths = vec![0u64; 256];
        for name in &names {
            lengths[usize::from(name.as_bytes()[0])] |= 1 << name.len();
        }
        Roles { names, lengths }
    }

    /// The role a local part names: the part before any `+tag`, case-insensitively.
    pub fn of<'a>(&'a self, local: &str) -> Option<&'a str> {
        // Local parts are short: a loop ends before a search is set up.
        let base = match local.bytes().position(|b| b == b'+') {
            Some(plus) => &local[..plus],
            None => local,
        };
        let bytes = base.as_bytes();
        let first = bytes.first()?.to_ascii_lowercase();
        if bytes.len() > MAX_LEN || self.lengths.get(usize::from(first))? & (1 << bytes.len()) == 0
        {
            return None;
        }
        // Lowercased on the stack: the key's local part is case-folded already, unless
        // `case_sensitive_local` kept it as written.
        let mut buffer = [0u8; MAX_LEN];
        let folded = &mut buffer[..bytes.len()];
        folded.copy_from_slice(bytes);
        folded.make_ascii_lowercase();
        let folded = std::str::from_utf8(folded).ok()?;
        self.names.get(folded).map(|name| &**name)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// The entries of an embedded list: trimmed lines, without blank lines and `#` comments.
pub(super) fn data_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_part_before_a_tag_is_looked_up_case_insensitively() {
        let roles = Roles::new(&[], &[]);
        let cases = [
            ("info", Some("info")),
            ("INFO", Some("info")),
            ("Info+newsletter", Some("info")),
            ("no-reply", Some("no-reply")),
            ("kontakt", Some("kontakt")),
            ("ventas", Some("ventas")),
            ("contato", Some("contato")),
            ("postmaster", Some("postmaster")),
            ("abuse", Some("abuse")),
            // Not roles: a person, a role name inside a longer name, a tag alone.
            ("ann.lee", None),
            ("infos", None),
            ("sales.team", None),
            ("+info", None),
            ("", None),
            ("\"info\"", None),
            ("ïnfo", None),
        ];
        for (local, role) in cases {
            assert_eq!(roles.of(local), role, "{local}");
        }
    }

    #[test]
    fn the_list_is_documented_and_large_enough() {
        let roles = Roles::new(&[], &[]);
        assert!(roles.len() >= 60, "{} role names", roles.len());
        for name in data_lines(BUILT_IN) {
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b)),
                "{name}: lowercase ASCII only"
            );
            assert!(name.len() <= MAX_LEN, "{name}");
        }
        for rfc2142 in [
            "abuse",
            "postmaster",
            "hostmaster",
            "webmaster",
            "noc",
            "security",
        ] {
            assert!(roles.of(rfc2142).is_some(), "{rfc2142}");
        }
    }

    #[test]
    fn rules_add_and_remove_names() {
        let roles = Roles::new(&["Kassa".to_owned()], &["INFO".to_owned()]);
        assert_eq!(roles.of("kassa"), Some("kassa"));
        assert_eq!(roles.of("info"), None);
        assert_eq!(roles.of("sales"), Some("sales"));
    }
}
