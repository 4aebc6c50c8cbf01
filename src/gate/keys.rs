//! Which rows of a list repeat an earlier one, and the set of a list's unique address keys.
//!
//! A million rows are not put in a hash map: inserting into a table of 50 MB is a cache miss
//! a row, on one core. Each row's key is hashed once, on all cores (with
//! [`syntax::key_hash`], in phase 1 of the gate); the (hash, row) pairs are radix-sorted by
//! hash (stable, so rows keep their order), so the copies of an address sit side by side, and
//! the keys are compared only inside a run of equal hashes: the result is exact.
//!
//! What outlives the gate is an [`AddressSet`]: the hashes of the unique keys, 16 bytes an
//! address, for the run-wide rate (an address on two lists counts once) and for the shards'
//! merge.

use std::fmt;

use rayon::prelude::*;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::syntax::key_hash;

/// For each row, the row its address first appears on (itself when it is new), by index.
/// `hashes[i]` is the [`key_hash`] of row `i`'s matching key, `key_of(i)` the key.
pub(super) fn first_rows<'a, F>(hashes: &[u128], key_of: F) -> Vec<usize>
where
    F: Fn(usize) -> &'a str + Sync,
{
    // Eight bytes a row sort faster than sixteen, while the rows fit in 32 bits.
    if u32::try_from(hashes.len()).is_ok() {
        first_rows_by::<u64, F>(hashes, key_of)
    } else {
        first_rows_by::<u128, F>(hashes, key_of)
    }
}

/// What [`first_rows`] sorts: part of a row's hash in the high half, the row in the low, so
/// that sorted, the copies of an address come together in row order (the first of each is the
/// earliest). Rows whose part of the hash is equal are told apart by their keys.
trait Entry: Ord + Copy + Send {
    fn new(hash: u128, row: usize) -> Self;
    /// Sort entries made in row order by (hash, row).
    fn sort(entries: &mut [Self]);
    fn hash(self) -> u64;
    fn row(self) -> usize;
}

/// The top 32 bits of the hash and a 32-bit row.
impl Entry for u64 {
    fn new(hash: u128, row: usize) -> u64 {
        ((hash >> 96) as u64) << 32 | row as u64
    }

    /// A radix sort by the hash, stable, so rows of an equal hash stay in row order: on one
    /// core, faster than a comparison sort on two (BENCHMARKS.md).
    fn sort(entries: &mut [u64]) {
        radsort::sort_by_key(entries, |entry| (entry >> 32) as u32);
    }

    fn hash(self) -> u64 {
        self >> 32
    }

    fn row(self) -> usize {
        (self & u64::from(u32::MAX)) as usize
    }
}

/// The top 64 bits of the hash and a 64-bit row.
impl Entry for u128 {
    fn new(hash: u128, row: usize) -> u128 {
        (hash >> 64 << 64) | row as u128
    }

    fn sort(entries: &mut [u128]) {
        entries.par_sort_unstable();
    }

    fn hash(self) -> u64 {
        (self >> 64) as u64
    }

    fn row(self) -> usize {
        self as u64 as usize
    }
}

fn first_rows_by<'a, E: Entry, F>(hashes: &[u128], key_of: F) -> Vec<usize>
where
    F: Fn(usize) -> &'a str + Sync,
{
    let rows = hashes.len();
    let mut order: Vec<E> = hashes
        .par_iter()
        .with_min_len(4096)
        .enumerate()
        .map(|(row, &hash)| E::new(hash, row))
        .collect();
    E::sort(&mut order);
    let mut first: Vec<usize> = (0..rows).collect();
    // The distinct keys of one run of equal hashes (nearly always one), by their first row.
    let mut distinct: Vec<usize> = Vec::new();
    for run in order.chunk_by(|a, b| a.hash() == b.hash()) {
        if let [_] = run {
            continue;
        }
        distinct.clear();
        for &entry in run {
            let this = entry.row();
            match distinct.iter().find(|&&seen| key_of(seen) == key_of(this)) {
                Some(&seen) => first[this] = seen,
                None => distinct.push(this),
            }
        }
    }
    first
}

/// A set of address keys, each held as its xxh3-128 hash: two different keys share one with a
/// chance of about 2^-128 a pair, far below any other error a run can make, and a million
/// addresses take 16 MB instead of a map of 50.
#[derive(Debug, Clone, Default)]
pub struct AddressSet {
    /// Unique; in no particular order until [`AddressSet::union_len`] or `extend` sorts them.
    hashes: Vec<u128>,
}

impl AddressSet {
    /// The set of the keys of the rows that are the first of their address (`first[row] ==
    /// row`, as [`first_rows`] gives), `row_hashes[row]` the key's [`key_hash`]: no sort
    /// needed, and the rows' hashes become the set's in place (no fresh memory for a million).
    pub(super) fn of_first_rows(first: &[usize], mut row_hashes: Vec<u128>) -> AddressSet {
        let mut kept = 0;
        for (row, &first) in first.iter().enumerate() {
            if first == row {
                row_hashes[kept] = row_hashes[row];
                kept += 1;
            }
        }
        row_hashes.truncate(kept);
        AddressSet { hashes: row_hashes }
    }

    /// The set of the keys of these rows, which hold distinct keys (`hashes[row]` the key's
    /// [`key_hash`]): no sort needed.
    pub(super) fn of_distinct_rows(rows: &[usize], hashes: &[u128]) -> AddressSet {
        AddressSet {
            hashes: rows.iter().map(|&row| hashes[row]).collect(),
        }
    }

    fn from_hashes(mut hashes: Vec<u128>) -> AddressSet {
        hashes.par_sort_unstable();
        hashes.dedup();
        AddressSet { hashes }
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Add another set's keys.
    pub fn extend(&mut self, other: AddressSet) {
        let mut hashes = std::mem::take(&mut self.hashes);
        hashes.extend(other.hashes);
        *self = AddressSet::from_hashes(hashes);
    }

    /// How many keys the sets hold together (a key in two sets counts once).
    pub fn union_len<'a>(sets: impl IntoIterator<Item = &'a AddressSet>) -> usize {
        let sets: Vec<&AddressSet> = sets.into_iter().collect();
        match sets.as_slice() {
            [] => 0,
            // Each set holds distinct keys already.
            [one] => one.len(),
            _ => {
                let all = sets.iter().flat_map(|set| &set.hashes).copied().collect();
                AddressSet::from_hashes(all).len()
            }
        }
    }
}

impl<'a> FromIterator<&'a str> for AddressSet {
    fn from_iter<I: IntoIterator<Item = &'a str>>(keys: I) -> AddressSet {
        AddressSet::from_hashes(keys.into_iter().map(key_hash).collect())
    }
}

/// Equal when they hold the same keys, in whatever order.
impl PartialEq for AddressSet {
    fn eq(&self, other: &AddressSet) -> bool {
        let mut mine = self.hashes.clone();
        let mut theirs = other.hashes.clone();
        mine.sort_unstable();
        theirs.sort_unstable();
        mine == theirs
    }
}

/// In a shard's report: an array of 32 hex digits a key.
impl Serialize for AddressSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.hashes.len()))?;
        for hash in &self.hashes {
            seq.serialize_element(&format_args!("{hash:032x}"))?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for AddressSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AddressSet, D::Error> {
        struct Hashes;

        impl<'de> Visitor<'de> for Hashes {
            type Value = AddressSet;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of address-key hashes, 32 hex digits each")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AddressSet, A::Error> {
                let mut hashes = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(text) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    let hash = (text.len() == 32)
                        .then(|| u128::from_str_radix(&text, 16).ok())
                        .flatten()
                        .ok_or_else(|| {
                            de::Error::invalid_value(de::Unexpected::Str(&text), &self)
                        })?;
                    hashes.push(hash);
                }
                Ok(AddressSet::from_hashes(hashes))
            }
        }

        deserializer.deserialize_seq(Hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes<S: AsRef<str>>(keys: &[S]) -> Vec<u128> {
        keys.iter().map(|key| key_hash(key.as_ref())).collect()
    }

    fn firsts(keys: &[&str]) -> Vec<usize> {
        first_rows(&hashes(keys), |row| keys[row])
    }

    #[test]
    fn each_copy_points_at_the_first_row_of_its_key() {
        let keys = [
            "a@x.org", "b@x.org", "a@x.org", "c@x.org", "b@x.org", "a@x.org",
        ];
        assert_eq!(firsts(&keys), [0, 1, 0, 3, 1, 0]);
        assert_eq!(firsts(&[]), Vec::<usize>::new());
        assert_eq!(firsts(&["only@x.org"]), [0]);
    }

    #[test]
    fn keys_that_share_a_hash_stay_apart() {
        // Every hash equal: the keys themselves decide.
        let keys = ["a@x.org", "b@x.org", "a@x.org", "c@x.org", "b@x.org"];
        assert_eq!(first_rows(&[7; 5], |row| keys[row]), [0, 1, 0, 3, 1]);
    }

    /// Lists of more than 2^32 rows sort 128-bit entries; both kinds find the same first rows,
    /// whether keys share the sorted part of their hash or all of it.
    #[test]
    fn both_kinds_of_entry_find_the_same_first_rows() {
        let keys: Vec<String> = (0..5_000)
            .map(|i| format!("user{}@x.org", (i * 7) % 1_999))
            .collect();
        let real = hashes(&keys);
        // Only the low 64 bits differ: equal in both entries' hash parts.
        let shared: Vec<u128> = real
            .iter()
            .map(|hash| hash & u128::from(u64::MAX))
            .collect();
        for hashes in [&real, &shared] {
            let narrow = first_rows_by::<u64, _>(hashes, |row| &keys[row]);
            let wide = first_rows_by::<u128, _>(hashes, |row| &keys[row]);
            assert_eq!(narrow, wide);
            for (row, first) in narrow.iter().enumerate() {
                assert_eq!(keys[*first], keys[row]);
                assert!(
                    keys[..*first].iter().all(|key| *key != keys[row]),
                    "row {row}"
                );
            }
        }
    }

    #[test]
    fn many_copies_of_one_address_stay_linear_and_exact() {
        let keys: Vec<String> = (0..20_000)
            .map(|i| format!("user{}@x.org", i % 3))
            .collect();
        let first = first_rows(&hashes(&keys), |row| &keys[row]);
        for (row, first) in first.iter().enumerate() {
            assert_eq!(*first, row % 3, "row {row}");
        }
    }

    #[test]
    fn the_set_of_first_rows_holds_each_address_once_across_chunks() {
        // More rows than one chunk of 65,536, copies far apart.
        let keys: Vec<String> = (0..150_000)
            .map(|i| format!("user{}@x.org", (i * 7) % 90_001))
            .collect();
        let hashes = hashes(&keys);
        let first = first_rows(&hashes, |row| &keys[row]);
        let set = AddressSet::of_first_rows(&first, hashes);
        let distinct: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
        assert_eq!(set.len(), distinct.len());
        assert_eq!(set, distinct.into_iter().collect::<AddressSet>());
    }

    #[test]
    fn a_set_counts_each_key_once_and_unions_across_sets() {
        let one: AddressSet = ["a@x.org", "b@x.org", "a@x.org"].into_iter().collect();
        let two: AddressSet = ["b@x.org", "c@x.org"].into_iter().collect();
        assert_eq!(one.len(), 2);
        assert_eq!(AddressSet::union_len([&one, &two]), 3);
        assert_eq!(AddressSet::union_len([&one]), 2);
        assert_eq!(AddressSet::union_len(std::iter::empty()), 0);
        let mut both = one.clone();
        both.extend(two);
        assert_eq!(both.len(), 3);
        assert_ne!(both, one);
    }

    #[test]
    fn a_set_reads_back_what_it_wrote_and_refuses_other_text() {
        let set: AddressSet = ["a@x.org", "b@x.org"].into_iter().collect();
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(
            json.len(),
            2 + 2 * 34 + 1,
            "two quoted 32-digit strings: {json}"
        );
        let back: AddressSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, set);
        let error = serde_json::from_str::<AddressSet>(r#"["a@x.org"]"#).unwrap_err();
        assert!(error.to_string().contains("32 hex digits"), "{error}");
    }
}
