//! Files bouncegate writes: replaced atomically, and CSV cells a spreadsheet cannot run.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

/// Replace `path` with `bytes` atomically: a temporary file beside it, fsync, rename, and an
/// fsync of the directory so the rename itself survives a crash. Killed at any point, the
/// file is the old one or the new one. Missing parent directories are created.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // Through a symbolic link, the file it points to is the one replaced.
    let resolved = std::fs::canonicalize(path).ok();
    let path = resolved.as_deref().unwrap_or(path);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    // A new file gets the mode the umask gives (0666 asked, as any program creating a file);
    // a replaced file keeps its own, set after creation so the umask does not narrow it.
    let kept = std::fs::metadata(path).map(|m| m.permissions()).ok();
    let asked = std::os::unix::fs::PermissionsExt::from_mode(0o666);
    let mut temp = tempfile::Builder::new()
        .permissions(asked)
        .tempfile_in(dir)?;
    if let Some(kept) = kept {
        temp.as_file().set_permissions(kept)?;
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|error| error.error)?;
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or CR first) gets a
/// leading `'`, so it stays text.
pub fn csv_safe(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Hold an exclusive lock on the directory of `path` while `update` reads, merges and
/// replaces the file: two runs updating one file one after the other lose nothing, where
/// both reading first and writing last would lose one's rows. The lock goes with the process.
pub fn locked<T>(path: &Path, update: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let handle = std::fs::File::open(dir)?;
    handle.lock()?;
    let result = update();
    let _ = handle.unlock();
    result
}

/// Append rows to a CSV file (created with `header` when new), leaving out the rows whose
/// `key` the file already holds, with formula cells neutralised, replacing the file
/// atomically under [`locked`]. Returns how many rows were appended, and how many were there
/// already.
pub fn append_csv(
    path: &Path,
    header: &[&str],
    rows: &[Vec<String>],
    key: impl Fn(&[String]) -> Vec<String>,
) -> std::io::Result<(usize, usize)> {
    locked(path, || append_csv_unlocked(path, header, rows, &key))
}

fn append_csv_unlocked(
    path: &Path,
    header: &[&str],
    rows: &[Vec<String>],
    key: &impl Fn(&[String]) -> Vec<String>,
) -> std::io::Result<(usize, usize)> {
    let mut existing = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => return Err(error),
    };
    // A blank file gets the header, as a missing one does.
    if existing.iter().all(u8::is_ascii_whitespace) {
        existing.clear();
    }
    let mut known: std::collections::HashSet<Vec<String>> = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(existing.as_slice())
        .records()
        .flatten()
        .map(|record| key(&record.iter().map(str::to_owned).collect::<Vec<_>>()))
        .collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    if existing.is_empty() {
        writer.write_record(header)?;
    }
    let (mut appended, mut already) = (0, 0);
    for row in rows {
        let row: Vec<String> = row.iter().map(|cell| csv_safe(cell).into_owned()).collect();
        if known.insert(key(&row)) {
            writer.write_record(&row)?;
            appended += 1;
        } else {
            already += 1;
        }
    }
    let added = writer
        .into_inner()
        .map_err(|error| std::io::Error::other(error.to_string()))?;
    let mut bytes = existing;
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(&added);
    write_atomically(path, &bytes)?;
    Ok((appended, already))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("+1"), "'+1");
        assert_eq!(csv_safe("-2"), "'-2");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("ann@x.de"), "ann@x.de");
    }

    #[test]
    fn appends_at_once_lose_no_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.csv");
        std::thread::scope(|scope| {
            for writer in 0..6 {
                let path = &path;
                scope.spawn(move || {
                    for row in 0..20 {
                        let rows = vec![vec![format!("w{writer}"), format!("r{row}")]];
                        append_csv(path, &["a", "b"], &rows, |r| r.to_vec()).unwrap();
                    }
                });
            }
        });
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.lines().count(),
            1 + 6 * 20,
            "the header and every row, once"
        );
    }

    #[test]
    fn a_new_file_follows_the_umask_and_a_replaced_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/new.csv");
        write_atomically(&path, b"a").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        // Read, not set: changing the umask would race with the tests running beside this one.
        let umask = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("Umask:"))
                    .and_then(|value| u32::from_str_radix(value.trim(), 8).ok())
            })
            .expect("Linux reports the umask in /proc/self/status");
        assert_eq!(mode, 0o666 & !umask, "0666 narrowed by the umask {umask:o}");
        // 0666 is what a 022 umask would narrow: it must stay as it is.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        write_atomically(&path, b"b").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666);
        // Through a link, the target is replaced and the link stays.
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        write_atomically(&link, b"c").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"c");
    }
}
