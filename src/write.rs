//! Files bouncegate writes: replaced atomically, and CSV cells a spreadsheet cannot run.

use std::borrow::Cow;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Replace `path` with `bytes` atomically: a temporary file beside it, fsync, rename, and an
/// fsync of the directory so the rename itself survives a crash. Killed at any point, the
/// file is the old one or the new one. Missing parent directories are created.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut replacement = Replacement::new(path)?;
    replacement.temp.write_all(bytes)?;
    replacement.commit()
}

/// A temporary file beside the file it will replace. Dropped without [`Replacement::commit`],
/// it is removed and the file is left as it was.
struct Replacement {
    /// The file replaced: through a symbolic link, the file it points to.
    path: PathBuf,
    dir: PathBuf,
    temp: tempfile::NamedTempFile,
}

impl Replacement {
    fn new(path: &Path) -> std::io::Result<Replacement> {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)?;
        // A new file gets the mode the umask gives (0666 asked, as any program creating a
        // file); a replaced file keeps its own, set after creation so the umask does not
        // narrow it.
        let kept = std::fs::metadata(&path).map(|m| m.permissions()).ok();
        #[cfg_attr(not(unix), allow(unused_mut))]
        let mut builder = tempfile::Builder::new();
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temp = builder.tempfile_in(&dir)?;
        if let Some(kept) = kept {
            temp.as_file().set_permissions(kept)?;
        }
        Ok(Replacement { path, dir, temp })
    }

    fn commit(self) -> std::io::Result<()> {
        self.temp.as_file().sync_all()?;
        self.temp.persist(&self.path).map_err(|error| error.error)?;
        if let Ok(dir) = std::fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
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
/// `key` columns the file already holds, with formula cells neutralised, replacing the file
/// atomically under [`locked`]. Returns how many rows were appended, and how many were there
/// already.
pub fn append_csv(
    path: &Path,
    header: &[&str],
    rows: &[Vec<String>],
    key: &[usize],
) -> std::io::Result<(usize, usize)> {
    locked(path, || {
        let mut appender = CsvAppender::open(path, header, key)?;
        for row in rows {
            appender.push(row)?;
        }
        appender.finish()
    })
}

/// A CSV file appended to a row at a time, in bounded memory: the file is copied to a
/// temporary file beside it, each new row goes after it unless the file or this run already
/// holds its `key` columns, and [`CsvAppender::finish`] replaces the file atomically. A file
/// whose header is the start of `header` (written by an older version, with fewer columns)
/// gets the columns it lacks, empty. Hold [`locked`] from open to finish.
pub struct CsvAppender {
    key: Vec<usize>,
    /// 128-bit hashes of the keys held: a million rows cost 16 MB, and two different keys
    /// share a hash with a chance of about 1 in 10^26.
    known: std::collections::HashSet<u128, foldhash::fast::FixedState>,
    writer: csv::Writer<std::io::BufWriter<std::fs::File>>,
    replacement: Replacement,
    appended: usize,
    already: usize,
}

impl CsvAppender {
    pub fn open(path: &Path, header: &[&str], key: &[usize]) -> std::io::Result<CsvAppender> {
        let mut replacement = Replacement::new(path)?;
        let mut known = std::collections::HashSet::default();
        let existing = match std::fs::metadata(path) {
            Ok(_) => read_existing(path, header, key, &mut known)?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Existing::Blank,
            Err(error) => return Err(error),
        };
        if let Existing::Current = existing {
            // Byte for byte: a history kept in git gets a diff of the new rows alone.
            let mut file = std::fs::File::open(path)?;
            let mut buffer = vec![0; 64 * 1024];
            let mut last = b'\n';
            loop {
                let read = file.read(&mut buffer)?;
                if read == 0 {
                    break;
                }
                replacement.temp.write_all(&buffer[..read])?;
                last = buffer[read - 1];
            }
            if last != b'\n' {
                replacement.temp.write_all(b"\n")?;
            }
        }
        // A clone of the handle writes on from where the copy ended.
        let file = replacement.temp.as_file().try_clone()?;
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(std::io::BufWriter::new(file));
        match existing {
            Existing::Current => {}
            Existing::Blank => writer.write_record(header)?,
            // The header the file lacks, and its rows padded to it.
            Existing::Older(rows) => {
                writer.write_record(header)?;
                for row in rows {
                    let mut cells: Vec<&[u8]> = row.iter().collect();
                    cells.resize(cells.len().max(header.len()), b"");
                    writer.write_record(&cells)?;
                }
            }
        }
        Ok(CsvAppender {
            key: key.to_vec(),
            known,
            writer,
            replacement,
            appended: 0,
            already: 0,
        })
    }

    /// Append `row` (formula cells neutralised) unless its key is held; whether it was.
    pub fn push(&mut self, row: &[String]) -> std::io::Result<bool> {
        let row: Vec<Cow<'_, str>> = row.iter().map(|cell| csv_safe(cell)).collect();
        if self
            .known
            .insert(key_hash(&self.key, row.iter().map(|cell| cell.as_bytes())))
        {
            self.writer
                .write_record(row.iter().map(|cell| cell.as_bytes()))?;
            self.appended += 1;
            Ok(true)
        } else {
            self.already += 1;
            Ok(false)
        }
    }

    /// Replace the file; how many rows were appended, and how many were there already.
    pub fn finish(self) -> std::io::Result<(usize, usize)> {
        let mut buffered = self
            .writer
            .into_inner()
            .map_err(|error| error.into_error())?;
        buffered.flush()?;
        self.replacement.commit()?;
        Ok((self.appended, self.already))
    }
}

/// What the file to append to holds.
enum Existing {
    /// Nothing, or blank lines.
    Blank,
    /// The header asked for, or another (the caller checks the header).
    Current,
    /// A header that is the start of the one asked for, and the rows under it.
    Older(Vec<csv::ByteRecord>),
}

/// Learn the keys of the rows of the file at `path`, and what it holds.
fn read_existing(
    path: &Path,
    header: &[&str],
    key: &[usize],
    known: &mut std::collections::HashSet<u128, foldhash::fast::FixedState>,
) -> std::io::Result<Existing> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::new(std::fs::File::open(path)?));
    let mut record = csv::ByteRecord::new();
    let mut older = None;
    let mut rows = Vec::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(std::io::Error::other)?
    {
        let Some(older) = older else {
            if record.len() <= 1 && record.iter().all(|cell| cell.trim_ascii().is_empty()) {
                continue; // blank lines before the header
            }
            let found: Vec<&[u8]> = record.iter().map(<[u8]>::trim_ascii).collect();
            older = Some(
                found.len() < header.len()
                    && found.iter().zip(header).all(|(a, b)| *a == b.as_bytes()),
            );
            continue;
        };
        known.insert(key_hash(key, record.iter()));
        if older {
            rows.push(record.clone());
        }
    }
    Ok(match older {
        None => Existing::Blank,
        Some(false) => Existing::Current,
        Some(true) => Existing::Older(rows),
    })
}

/// The 128-bit hash of a row's `key` columns.
fn key_hash<'a>(key: &[usize], cells: impl Iterator<Item = &'a [u8]> + Clone) -> u128 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut halves = [0u64; 2];
    for (seed, half) in (1u64..).zip(halves.iter_mut()) {
        let mut hasher = foldhash::quality::FixedState::with_seed(seed).build_hasher();
        for &column in key {
            cells
                .clone()
                .nth(column)
                .unwrap_or_default()
                .hash(&mut hasher);
        }
        *half = hasher.finish();
    }
    (u128::from(halves[0]) << 64) | u128::from(halves[1])
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

    /// The file's own bytes are kept (quoting, CRLF, a missing last newline), rows it or this
    /// run already holds are left out, and a blank file gets the header.
    #[test]
    fn an_append_keeps_the_file_byte_for_byte_and_leaves_out_known_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.csv");
        std::fs::write(&path, "a,b,c\r\n\"x\",\"1\",n\r\ny,2,n").unwrap();
        let row = |a: &str, b: &str, c: &str| vec![a.to_owned(), b.to_owned(), c.to_owned()];
        let rows = [
            row("x", "1", "other note"), // the file holds x,1
            row("z", "3", "new"),
            row("z", "3", "again"), // this run holds z,3
            row("=cmd", "4", ""),
        ];
        let (appended, already) = append_csv(&path, &["a", "b", "c"], &rows, &[0, 1]).unwrap();
        assert_eq!((appended, already), (2, 2));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "a,b,c\r\n\"x\",\"1\",n\r\ny,2,n\nz,3,new\n'=cmd,4,\n"
        );
        let blank = dir.path().join("blank.csv");
        std::fs::write(&blank, "\n  \n").unwrap();
        append_csv(&blank, &["a", "b"], &[vec!["x".into(), "1".into()]], &[0]).unwrap();
        assert_eq!(std::fs::read_to_string(&blank).unwrap(), "a,b\nx,1\n");
    }

    /// A file whose header is the start of the one asked for gets the columns it lacks.
    #[test]
    fn an_older_header_gets_the_columns_it_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.csv");
        std::fs::write(&path, "a,b\nx,1\n").unwrap();
        let rows = [vec!["x".to_owned(), "1".to_owned(), "c".to_owned()]];
        let (appended, already) = append_csv(&path, &["a", "b", "c"], &rows, &[0, 1]).unwrap();
        assert_eq!((appended, already), (0, 1));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a,b,c\nx,1,\n");
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
                        append_csv(path, &["a", "b"], &rows, &[0, 1]).unwrap();
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
    #[cfg(target_os = "linux")] // modes and /proc/self/status are Linux's
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
