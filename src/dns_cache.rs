//! The DNS cache across runs (`--dns-cache FILE`): definitive answers only, each with an expiry
//! from its TTL capped by a maximum age. Unknowns are never stored: a cached transient error
//! would poison later runs. Writes are atomic (a temporary file in the same directory, then a
//! rename), and merge with what another run wrote meanwhile, so the file is never corrupt.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::domains::DomainCheck;

/// Names the file's format; a file without it is not ours.
const FORMAT: &str = "bouncegate-dns-cache";
const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    format: String,
    version: u32,
    entries: BTreeMap<String, DomainCheck>,
}

#[derive(Debug, Default)]
pub struct DnsCache {
    entries: BTreeMap<String, DomainCheck>,
}

impl DnsCache {
    /// The live entries of the file; a missing file is an empty cache, a corrupt, truncated or
    /// foreign one is ignored with a note.
    pub fn load(path: &Path, now: i64) -> (DnsCache, Option<String>) {
        match read(path, now) {
            Ok(entries) => (DnsCache { entries }, None),
            Err(None) => (DnsCache::default(), None),
            Err(Some(why)) => (
                DnsCache::default(),
                Some(format!(
                    "{}: the DNS cache is ignored ({why}); it will be rewritten",
                    path.display()
                )),
            ),
        }
    }

    pub fn get(&self, domain: &str) -> Option<&DomainCheck> {
        self.entries.get(domain)
    }

    /// Keep a definitive answer; an unknown is refused.
    pub fn insert(&mut self, domain: &str, check: &DomainCheck) {
        if check.verdict.is_definitive() && check.expires.is_some() {
            let mut check = check.clone();
            check.cached = false;
            self.entries.insert(domain.to_owned(), check);
        }
    }

    /// Merge with the file as it is now (another run may have written it), drop what has
    /// expired, and replace the file atomically.
    pub fn save(&self, path: &Path, now: i64) -> std::io::Result<()> {
        crate::write::locked(path, || self.save_unlocked(path, now))
    }

    fn save_unlocked(&self, path: &Path, now: i64) -> std::io::Result<()> {
        let mut entries = read(path, now).unwrap_or_default();
        for (domain, check) in &self.entries {
            let newer = entries
                .get(domain)
                .is_none_or(|old| old.expires < check.expires);
            if newer {
                entries.insert(domain.clone(), check.clone());
            }
        }
        entries.retain(|_, check| check.expires.is_some_and(|e| e > now));
        let file = CacheFile {
            format: FORMAT.to_owned(),
            version: VERSION,
            entries,
        };
        let mut bytes = serde_json::to_vec(&file)?;
        bytes.push(b'\n');
        crate::write::write_atomically(path, &bytes)?;
        Ok(())
    }
}

/// `Err(None)`: no file; `Err(Some(why))`: a file that is not a usable cache.
fn read(path: &Path, now: i64) -> Result<BTreeMap<String, DomainCheck>, Option<String>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Err(None),
        Err(error) => return Err(Some(error.to_string())),
    };
    let file: CacheFile = serde_json::from_slice(&bytes)
        .map_err(|error| Some(format!("not a bouncegate DNS cache: {error}")))?;
    if file.format != FORMAT || file.version != VERSION {
        return Err(Some(format!(
            "format '{}' version {}, expected '{FORMAT}' version {VERSION}",
            file.format, file.version
        )));
    }
    Ok(file
        .entries
        .into_iter()
        .filter(|(_, check)| {
            check.verdict.is_definitive() && check.expires.is_some_and(|e| e > now)
        })
        .map(|(domain, mut check)| {
            check.cached = true;
            (domain, check)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::DomainVerdict;

    fn check(verdict: DomainVerdict, expires: Option<i64>) -> DomainCheck {
        DomainCheck {
            verdict,
            expires,
            cached: false,
        }
    }

    #[test]
    fn stores_definitive_answers_only_and_drops_expired_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        let mut cache = DnsCache::default();
        cache.insert(
            "dead.de",
            &check(DomainVerdict::DomainNotFound, Some(1_000)),
        );
        cache.insert("old.de", &check(DomainVerdict::NullMx, Some(500)));
        cache.insert(
            "flaky.de",
            &check(
                DomainVerdict::DnsUnknown {
                    detail: "timeout".to_owned(),
                },
                Some(1_000),
            ),
        );
        cache.save(&path, 100).unwrap();

        let (loaded, note) = DnsCache::load(&path, 600);
        assert_eq!(note, None);
        assert!(
            loaded.get("flaky.de").is_none(),
            "an unknown is never cached"
        );
        assert!(
            loaded.get("old.de").is_none(),
            "expired at 500, read at 600"
        );
        let dead = loaded.get("dead.de").unwrap();
        assert_eq!(dead.verdict, DomainVerdict::DomainNotFound);
        assert!(dead.cached);
    }

    #[test]
    fn a_corrupt_or_foreign_file_is_ignored_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        for content in [
            "{\"format\":\"bouncegate-dns-cache\",\"version\":1,\"entries\":{\"a.de\":{\"verd",
            "[1,2,3]",
            "{\"format\":\"something-else\",\"version\":1,\"entries\":{}}",
            "\u{0}\u{1}binary",
        ] {
            std::fs::write(&path, content).unwrap();
            let (cache, note) = DnsCache::load(&path, 0);
            assert!(cache.get("a.de").is_none());
            assert!(note.unwrap().contains("ignored"), "{content}");
        }
        // And the next save replaces it with a valid file.
        let mut cache = DnsCache::default();
        cache.insert("a.de", &check(DomainVerdict::NoMailHost, Some(50)));
        cache.save(&path, 0).unwrap();
        assert!(DnsCache::load(&path, 0).0.get("a.de").is_some());
    }

    #[test]
    fn runs_saving_at_once_never_leave_a_corrupt_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        std::thread::scope(|scope| {
            for run in 0..8 {
                let path = &path;
                scope.spawn(move || {
                    for save in 0..25 {
                        let mut cache = DnsCache::default();
                        let domain = format!("d{run}-{save}.de");
                        cache.insert(&domain, &check(DomainVerdict::NoMailHost, Some(100)));
                        cache.save(path, 0).unwrap();
                        // Whatever another run is doing, the file reads as a cache.
                        let (_, note) = DnsCache::load(path, 0);
                        assert_eq!(note, None);
                    }
                });
            }
        });
        let (cache, note) = DnsCache::load(&path, 0);
        assert_eq!(note, None);
        // Saves take turns under a lock, each merging what was there: nothing is lost.
        assert_eq!(cache.entries.len(), 8 * 25);
    }

    #[test]
    fn saving_merges_with_what_another_run_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        let mut first = DnsCache::default();
        first.insert("a.de", &check(DomainVerdict::NullMx, Some(100)));
        let mut second = DnsCache::default();
        second.insert("b.de", &check(DomainVerdict::NoMailHost, Some(100)));
        first.save(&path, 0).unwrap();
        second.save(&path, 0).unwrap();
        let (merged, _) = DnsCache::load(&path, 0);
        assert!(merged.get("a.de").is_some() && merged.get("b.de").is_some());
    }
}
