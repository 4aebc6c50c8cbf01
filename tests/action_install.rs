//! How the action installs bouncegate: a prebuilt release binary, downloaded from a fake
//! release on a local HTTP server and verified against its SHA256SUMS; a refusal when the
//! checksum does not match; a build from source when no release matches.
#![cfg(unix)] // the simulated runner is bash with Unix paths (tests/support/action.rs)

mod support {
    pub mod action;
    pub mod bin;
    pub mod http;
}

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use support::action::{BUILT_FROM_SOURCE, Run, Runner, run_as};
use support::http::Server;

/// The release the action's own Cargo.toml names.
const OWN: &str = concat!("v", env!("CARGO_PKG_VERSION"));
/// The asset the simulated runner (Linux, X64) asks for.
const TARGET: &str = "x86_64-unknown-linux-musl";
/// What the prebuilt stand-in prints before it runs the real binary.
const PREBUILT: &str = "fake release binary running";

/// A repository with one clean list.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("lists")).unwrap();
    std::fs::write(
        dir.path().join("lists/news.csv"),
        "email\nann@gmail.com\nbob@outlook.com\n",
    )
    .unwrap();
    dir
}

fn asset(version: &str) -> String {
    format!("bouncegate-{version}-{TARGET}.tar.gz")
}

/// A release archive holding `bouncegate`: a script that says it ran, then runs the binary
/// this suite built (a tar.gz made by `tar`, as the release workflow makes it).
fn archive() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "#!/bin/sh\necho '{PREBUILT}' >&2\nexec '{}' \"$@\"\n",
        support::bin::path()
    );
    let binary = dir.path().join("bouncegate");
    std::fs::write(&binary, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    let status = std::process::Command::new("tar")
        .args(["-czf", "release.tar.gz", "bouncegate"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(dir.path().join("release.tar.gz")).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A release `version` of the archive, with a SHA256SUMS line of `listed_hash` (None: the
/// archive's own hash).
fn release(version: &str, listed_hash: Option<&str>) -> HashMap<String, Vec<u8>> {
    let archive = archive();
    let hash = listed_hash.map_or_else(|| sha256(&archive), str::to_owned);
    let base = format!("/bouncegate/bouncegate/releases/download/{version}");
    let sums = format!(
        "{hash}  {}\n{}  bouncegate-{version}-x86_64-apple-darwin.tar.gz\n",
        asset(version),
        "0".repeat(64)
    );
    HashMap::from([
        (format!("{base}/{}", asset(version)), archive),
        (format!("{base}/SHA256SUMS"), sums.into_bytes()),
    ])
}

fn run(server: &Server, action_ref: &str, inputs: &[(&str, &str)]) -> Run {
    let repo = repo();
    let runner = Runner {
        action_ref,
        server_url: &server.url,
        ..Runner::default()
    };
    run_as(
        repo.path(),
        &[&[("offline", "true")], inputs].concat(),
        &runner,
    )
}

#[test]
fn a_release_tag_downloads_the_verified_binary_and_runs_it() {
    let server = Server::start(release(OWN, None));
    // At the release tag itself, and at the major tag the release workflow moves.
    let major = OWN.split('.').next().unwrap();
    for action_ref in [OWN, major] {
        let run = run(&server, action_ref, &[]);
        assert_eq!(run.status, 0, "{action_ref}: {}", run.log);
        assert!(run.log.contains(PREBUILT), "{action_ref}: {}", run.log);
        assert!(!run.log.contains(BUILT_FROM_SOURCE), "{}", run.log);
        assert!(
            run.log
                .contains(&format!("downloaded {}, SHA-256", asset(OWN))),
            "{}",
            run.log
        );
        assert_eq!(run.step_outputs["download.installed"], "true");
        assert_eq!(run.outputs["result"], "pass");
    }
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer simulated-token")),
        "the token input (default github.token) goes with each request: {requests:?}"
    );
}

#[test]
fn the_version_input_picks_another_release() {
    let server = Server::start(release("v0.0.9", None));
    let run = run(&server, "", &[("version", "v0.0.9")]);
    assert_eq!(run.status, 0, "{}", run.log);
    assert!(run.log.contains(&format!("downloaded {}", asset("v0.0.9"))));
    assert!(run.log.contains(PREBUILT));
}

#[test]
fn a_checksum_that_does_not_match_refuses_to_run_anything() {
    let wrong = "ab".repeat(32);
    let server = Server::start(release(OWN, Some(&wrong)));
    let run = run(&server, OWN, &[]);
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.stdout.contains(&format!(
            "::error title=bouncegate download refused::{} has SHA-256",
            asset(OWN)
        )),
        "{}",
        run.log
    );
    assert!(
        run.stdout.contains(&format!("lists {wrong}")),
        "{}",
        run.stdout
    );
    assert!(!run.log.contains(PREBUILT), "the refused binary never runs");
    assert!(!run.log.contains(BUILT_FROM_SOURCE), "no silent fallback");
    assert!(!run.outputs.contains_key("result"), "the check never ran");
}

#[test]
fn an_asset_missing_from_the_checksums_is_refused() {
    let mut files = release(OWN, None);
    let sums = format!("/bouncegate/bouncegate/releases/download/{OWN}/SHA256SUMS");
    files.insert(sums, b"0000  some-other-asset.tar.gz\n".to_vec());
    let server = Server::start(files);
    let run = run(&server, OWN, &[]);
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.stdout.contains("lists no checksum for it"),
        "{}",
        run.stdout
    );
    assert!(!run.log.contains(PREBUILT));
}

#[test]
fn no_matching_release_builds_from_source() {
    // The server has no release at all: a fork, or a tag whose release is not out yet.
    let server = Server::start(HashMap::new());
    let run = run(&server, OWN, &[]);
    assert_eq!(run.status, 0, "{}", run.log);
    assert!(
        run.stdout.contains(&format!(
            "::notice title=bouncegate::no release asset {}",
            asset(OWN)
        )),
        "{}",
        run.stdout
    );
    assert!(run.log.contains(BUILT_FROM_SOURCE), "{}", run.log);
    assert_eq!(run.outputs["result"], "pass");
}

#[test]
fn a_branch_a_commit_or_a_local_action_builds_its_own_source_without_asking() {
    let server = Server::start(release(OWN, None));
    // `uses: ./` has no ref; a branch or a commit runs the source it names, and a tag that
    // is not this source's version (v9 while Cargo.toml says otherwise) is not downloaded.
    for action_ref in ["", "main", "0123456789abcdef0123456789abcdef01234567", "v9"] {
        let run = run(&server, action_ref, &[]);
        assert_eq!(run.status, 0, "{action_ref}: {}", run.log);
        assert!(
            run.log.contains(BUILT_FROM_SOURCE),
            "{action_ref}: {}",
            run.log
        );
        assert!(!run.log.contains(PREBUILT));
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn the_dns_cache_path_is_joined_to_the_working_directory_unless_absolute() {
    let server = Server::start(HashMap::new());
    let cases = [
        (
            ".",
            ".bouncegate/dns-cache.json",
            "./.bouncegate/dns-cache.json",
        ),
        ("sub", "cache.json", "sub/cache.json"),
        (
            "sub",
            "/var/cache/bouncegate.json",
            "/var/cache/bouncegate.json",
        ),
    ];
    for (working_directory, dns_cache, expected) in cases {
        let repo = repo();
        std::fs::create_dir_all(repo.path().join("sub/lists")).unwrap();
        std::fs::copy(
            repo.path().join("lists/news.csv"),
            repo.path().join("sub/lists/news.csv"),
        )
        .unwrap();
        let runner = Runner {
            server_url: &server.url,
            ..Runner::default()
        };
        let inputs = [
            ("offline", "true"),
            ("working-directory", working_directory),
            ("dns-cache", dns_cache),
        ];
        let run = run_as(repo.path(), &inputs, &runner);
        assert_eq!(run.status, 0, "{}", run.log);
        assert_eq!(run.step_outputs["key.dns-cache"], expected);
        assert!(Path::new(&run.outputs["report"]).is_file());
    }
}

/// The README's pins are tags the release workflow makes: `uses: ...@vMAJOR` (the major tag it
/// moves) and the pre-commit `rev: vX.Y.Z`; and CHANGELOG.md has the section the release
/// notes are cut from.
#[test]
fn the_readme_pins_and_the_changelog_match_the_version() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let major = OWN.split('.').next().unwrap();
    let pins: Vec<&str> = readme
        .lines()
        .filter_map(|line| line.split("uses: bouncegate/bouncegate@").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap())
        .collect();
    assert!(!pins.is_empty());
    assert!(
        pins.iter().all(|pin| *pin == major),
        "{pins:?}, not {major}"
    );
    let revs: Vec<&str> = readme
        .lines()
        .filter_map(|line| line.trim().strip_prefix("rev: "))
        .collect();
    assert_eq!(revs, [OWN]);
    let changelog = std::fs::read_to_string(format!("{root}/CHANGELOG.md")).unwrap();
    let heading = format!("## [{}] - ", env!("CARGO_PKG_VERSION"));
    assert!(changelog.lines().any(|line| line.starts_with(&heading)));
}
