//! `disposable-domain`: the domain, or a domain it is under, takes mail for throwaway inboxes.

use foldhash::{HashSet, HashSetExt};

use super::role::data_lines;

/// The built-in list (data/disposable.txt: its header names the source, its licence and how to
/// refresh it).
const BUILT_IN: &str = include_str!("data/disposable.txt");

#[derive(Debug, Clone, Default)]
pub struct Disposable {
    domains: HashSet<Box<str>>,
}

impl Disposable {
    /// The built-in list, plus `add`, less `remove`: lowercased A-labels (rules.yaml's entries
    /// are normalised when the config is read).
    pub fn new(add: &[String], remove: &[String]) -> Disposable {
        let removed: HashSet<&str> = remove.iter().map(String::as_str).collect();
        let mut domains = HashSet::with_capacity(12_000);
        for domain in data_lines(BUILT_IN).chain(add.iter().map(String::as_str)) {
            if !removed.contains(domain) {
                domains.insert(Box::from(domain));
            }
        }
        Disposable { domains }
    }

    /// The entry the domain is listed under: itself, or the nearest domain it is under
    /// (`mailinator.com` for `x.mailinator.com`). A top-level domain alone is never an entry.
    pub fn listed<'a>(&'a self, domain: &str) -> Option<&'a str> {
        let mut rest = domain;
        loop {
            if let Some(entry) = self.domains.get(rest) {
                return Some(entry);
            }
            let (_, parent) = rest.split_once('.')?;
            if !parent.contains('.') {
                return None;
            }
            rest = parent;
        }
    }

    pub fn len(&self) -> usize {
        self.domains.len()
    }

    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_or_one_it_is_under_is_listed() {
        let list = Disposable::new(&[], &[]);
        assert!(list.len() > 5_000, "several thousand: {}", list.len());
        assert_eq!(list.listed("mailinator.com"), Some("mailinator.com"));
        assert_eq!(list.listed("inbox.mailinator.com"), Some("mailinator.com"));
        assert_eq!(list.listed("a.b.mailinator.com"), Some("mailinator.com"));
        assert_eq!(list.listed("gmail.com"), None);
        assert_eq!(list.listed("mailinator.com.example.org"), None);
        assert_eq!(list.listed("com"), None);
        assert_eq!(list.listed(""), None);
    }

    #[test]
    fn rules_add_and_remove_domains() {
        let list = Disposable::new(
            &["throwaway.example".to_owned()],
            &["mailinator.com".to_owned()],
        );
        assert_eq!(
            list.listed("x.throwaway.example"),
            Some("throwaway.example")
        );
        assert_eq!(list.listed("mailinator.com"), None);
        assert_eq!(list.listed("yopmail.com"), Some("yopmail.com"));
    }

    #[test]
    fn the_built_in_list_is_clean() {
        for domain in data_lines(BUILT_IN) {
            assert!(
                domain.contains('.')
                    && domain.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'.'
                        || b == b'-'),
                "{domain}: a lowercase A-label domain"
            );
        }
    }
}
