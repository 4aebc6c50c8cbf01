//! Codes read back from a JSON report (`merge` reads the shards' reports) as the
//! `&'static str` the stages name them with.
//!
//! Codes are few (a few dozen), so each distinct one is leaked once and shared after that.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer};

/// A code such as `ragged-row`. An alias, not `&'static str` in the field itself: serde's
/// derive would borrow such a field from the input, which a `'static` field cannot do.
pub type Code = &'static str;

/// The one `&'static str` for this text.
pub fn intern(text: &str) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(&known) = seen.get(text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    seen.insert(leaked);
    leaked
}

/// For `#[serde(deserialize_with = "crate::intern::code")]`.
pub fn code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Code, D::Error> {
    Ok(intern(&String::deserialize(deserializer)?))
}

/// For maps keyed by code (`skipped`, `domains` in a list's statistics).
pub fn code_keys<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<&'static str, usize>, D::Error> {
    let map = BTreeMap::<String, usize>::deserialize(deserializer)?;
    Ok(map.into_iter().map(|(k, v)| (intern(&k), v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_text_is_one_static_str() {
        let a = intern(&String::from("ragged-row"));
        let b = intern("ragged-row");
        assert!(std::ptr::eq(a, b));
        assert_eq!(a, "ragged-row");
        assert_ne!(intern("blank"), a);
    }
}
