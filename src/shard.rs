//! Shards: one check split over the jobs of a CI matrix (`check --shard K/N`). Each shard
//! checks its share and writes a JSON report with what [`crate::merge`] needs to make the
//! report of one run out of all of them.
//!
//! The split is a pure function of the inputs, so every job computes the same plan without
//! talking to the others: a list file goes whole to one shard (the files balanced by size),
//! and a file larger than `split_above` is split by a hash of each row's address key, so
//! every copy of an address (and so each duplicate) lands in one shard.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::gate::AddressSet;

/// Lists larger than this (bytes) are split across the shards by address; smaller lists go
/// whole to one shard. A list that size takes about a second to check offline.
pub const DEFAULT_SPLIT_ABOVE: u64 = 16 * 1024 * 1024;

/// `K/N`: this job is shard K (from 1) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = || {
            format!(
                "'{text}' is not a shard: expected K/N with 1 <= K <= N <= 1024, such as 2/4 (in a matrix: ${{{{ matrix.shard }}}}/4)"
            )
        };
        let (index, count) = text.trim().split_once('/').ok_or_else(expected)?;
        let index: u32 = index.trim().parse().map_err(|_| expected())?;
        let count: u32 = count.trim().parse().map_err(|_| expected())?;
        if index == 0 || index > count || count > 1024 {
            return Err(expected());
        }
        Ok(ShardSpec { index, count })
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Where one list's rows are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "part", rename_all = "kebab-case")]
pub enum Part {
    /// The whole list, by this shard.
    Whole { shard: u32 },
    /// Every shard checks the rows whose key hashes to it; `owner` also reports what belongs
    /// to no row (unreadable rows, empty cells, a second email column).
    Split { owner: u32 },
}

impl Part {
    /// Whether shard `index` reads this list.
    pub fn reads(self, index: u32) -> bool {
        match self {
            Part::Whole { shard } => shard == index,
            Part::Split { .. } => true,
        }
    }
}

/// One list of the run and where it is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedList {
    pub path: PathBuf,
    #[serde(flatten)]
    pub part: Part,
}

/// Assign every list (in the run's order) to the shards. Lists over `split_above` bytes are
/// split across all shards; the others go whole, largest first, to the least loaded shard
/// (ties to the lowest index), which keeps the shards within one list's size of each other.
pub fn plan(paths: &[PathBuf], count: u32, split_above: u64) -> Vec<PlannedList> {
    // A file that cannot be read weighs nothing here; its shard reports why.
    let sizes: Vec<u64> = paths
        .iter()
        .map(|path| std::fs::metadata(path).map_or(0, |m| m.len()))
        .collect();
    let mut load = vec![0u64; count as usize];
    let mut parts = vec![None; paths.len()];
    let mut split = 0u32;
    for (i, &size) in sizes.iter().enumerate() {
        if size > split_above {
            parts[i] = Some(Part::Split {
                owner: split % count + 1,
            });
            split += 1;
            for shard in &mut load {
                *shard += size / u64::from(count);
            }
        }
    }
    let mut whole: Vec<usize> = (0..paths.len()).filter(|&i| parts[i].is_none()).collect();
    whole.sort_by(|&a, &b| {
        sizes[b]
            .cmp(&sizes[a])
            .then_with(|| paths[a].cmp(&paths[b]))
    });
    for i in whole {
        let (lightest, _) = load
            .iter()
            .enumerate()
            .min_by_key(|&(shard, &load)| (load, shard))
            .unwrap_or((0, &0));
        load[lightest] += sizes[i].max(1);
        parts[i] = Some(Part::Whole {
            shard: lightest as u32 + 1,
        });
    }
    paths
        .iter()
        .zip(parts)
        .map(|(path, part)| PlannedList {
            path: path.clone(),
            part: part.unwrap_or(Part::Whole { shard: 1 }),
        })
        .collect()
}

/// Whether the row with this address key belongs to shard `spec.index` of a split list. A
/// fixed hash (xxh3), so every job of every platform agrees.
pub fn owns(key: &str, spec: ShardSpec) -> bool {
    xxh3_64(key.as_bytes()) % u64::from(spec.count) == u64::from(spec.index - 1)
}

/// What a shard's report carries beyond the report of its share: enough for `merge` to
/// check that the shards judged the same inputs, and to count addresses across lists.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardInfo {
    pub index: u32,
    pub count: u32,
    /// The bouncegate version that wrote it: shards and merge must be one version.
    pub version: String,
    pub split_above: u64,
    pub inputs: InputHashes,
    /// Every list of the run, in the run's order, and where it is checked.
    pub plan: Vec<PlannedList>,
    /// This shard's lists, in the order of the report's `lists`.
    pub lists: Vec<ShardList>,
    /// A history file could not be read at all (exit code 2).
    pub history_bad_input: bool,
}

/// Hashes (xxh3-128, hex) of what judged the lists: a merge of shards that disagree on any
/// of them would be the report of no run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputHashes {
    /// The effective rules and policy, the syntax options, DNS on or off, the column read.
    pub rules: String,
    /// Every history file's path and bytes, and the options that read them.
    pub history: String,
    /// Every list file's path and bytes, and the revision of `--changed-since`.
    pub lists: String,
}

/// A list's address keys in one shard: an address on two lists counts once in the run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ShardList {
    pub path: PathBuf,
    /// The list's unique address keys, as hashes ([`AddressSet`]).
    pub keys: AddressSet,
    pub bouncing: AddressSet,
    pub blocked_addresses: usize,
}

/// An xxh3-128 hash, fed piece by piece; each piece is closed so that `ab`+`c` differs from
/// `a`+`bc`.
#[derive(Default)]
pub struct InputHasher(Xxh3);

impl InputHasher {
    pub fn piece(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// A file's path and its bytes (or, when it cannot be read, why: its shard says so).
    pub fn file(&mut self, path: &Path) -> &mut Self {
        self.piece(path.to_string_lossy().as_bytes());
        match std::fs::read(path) {
            Ok(bytes) => self.piece(&bytes),
            Err(error) => self.piece(format!("unreadable: {:?}", error.kind()).as_bytes()),
        }
    }

    pub fn finish(&self) -> String {
        format!("{:032x}", self.0.digest128())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_is_k_of_n() {
        assert_eq!(
            "2/3".parse::<ShardSpec>(),
            Ok(ShardSpec { index: 2, count: 3 })
        );
        assert_eq!(
            " 1 / 1 ".parse::<ShardSpec>(),
            Ok(ShardSpec { index: 1, count: 1 })
        );
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "1/2000", ""] {
            let error = bad.parse::<ShardSpec>().unwrap_err();
            assert!(error.contains("expected K/N"), "{bad}: {error}");
        }
    }

    #[test]
    fn every_key_has_exactly_one_shard() {
        for count in 1..=5 {
            for i in 0..200 {
                let key = format!("user{i}@example.org");
                let owners = (1..=count)
                    .filter(|&index| owns(&key, ShardSpec { index, count }))
                    .count();
                assert_eq!(owners, 1, "{key} in {count} shards");
            }
        }
    }

    #[test]
    fn whole_lists_are_balanced_by_size_and_big_ones_split() {
        let dir = tempfile::tempdir().unwrap();
        let sizes = [900, 100, 500, 400, 3000];
        let paths: Vec<PathBuf> = sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| {
                let path = dir.path().join(format!("l{i}.csv"));
                std::fs::write(&path, vec![b'a'; size]).unwrap();
                path
            })
            .collect();
        let parts: Vec<Part> = plan(&paths, 2, 2000).into_iter().map(|p| p.part).collect();
        // 3000 is split (1500 each); then 900 -> 1, 500 -> 2, 400 -> 2, 100 -> 1.
        assert_eq!(
            parts,
            [
                Part::Whole { shard: 1 },
                Part::Whole { shard: 1 },
                Part::Whole { shard: 2 },
                Part::Whole { shard: 2 },
                Part::Split { owner: 1 },
            ]
        );
        // One shard takes everything; the order of the run is kept.
        let one = plan(&paths, 1, u64::MAX);
        assert!(one.iter().all(|p| p.part == Part::Whole { shard: 1 }));
        assert_eq!(
            one.iter().map(|p| &p.path).collect::<Vec<_>>(),
            paths.iter().collect::<Vec<_>>()
        );
    }

    #[test]
    fn input_hashes_tell_pieces_apart() {
        let hash = |pieces: &[&str]| {
            let mut hasher = InputHasher::default();
            for piece in pieces {
                hasher.piece(piece.as_bytes());
            }
            hasher.finish()
        };
        assert_eq!(hash(&["ab", "c"]), hash(&["ab", "c"]));
        assert_ne!(hash(&["ab", "c"]), hash(&["a", "bc"]));
        assert_eq!(hash(&[]).len(), 32);
    }
}
