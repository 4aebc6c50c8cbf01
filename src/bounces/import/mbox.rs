//! An mbox of any size, streamed: one thread reads batches of whole messages (about
//! [`BATCH_BYTES`] each, split only before a `From ` line that follows a blank line), the caller
//! reads each batch's messages in parallel while the next batch is read. Memory holds two
//! batches (or the largest message, when one is larger), never the file.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc;

use super::{ImportError, Imported, Source, dsn};

/// The size a batch of messages grows to before it is handed on.
pub const BATCH_BYTES: usize = 8 << 20;

/// Whether `head`, the start of a file, is an mbox: its first line that is not blank starts
/// with `From `.
pub fn is_mbox(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n')
        .find(|line| !line.trim_ascii().is_empty())
        .is_some_and(|line| line.starts_with(b"From "))
}

/// A batch: whole messages, and the file line of its first byte.
struct Batch {
    bytes: Vec<u8>,
    first_line: u64,
}

/// Read the mbox from `reader`, calling `each` with what each batch of messages gave, in file
/// order. A read error ends the reading: the batches before it have been handed to `each`,
/// the one it cut short is not read (its last message may be cut).
pub fn import_mbox(
    reader: impl Read + Send,
    mut each: impl FnMut(Imported),
) -> Result<(), ImportError> {
    // One batch waits in the channel while one is read and one is parsed.
    let (sender, receiver) = mpsc::sync_channel::<Batch>(1);
    let mut messages = 0;
    let read_result = std::thread::scope(|scope| {
        let reading = scope.spawn(move || read_batches(reader, &sender));
        for batch in receiver {
            let mut imported = Imported::empty(Source::Dsn);
            messages += dsn::import_messages(&batch.bytes, batch.first_line, &mut imported);
            each(imported);
        }
        reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    if let Err((line, error)) = read_result {
        return Err(ImportError::Unreadable {
            line,
            detail: error.to_string(),
        });
    }
    if messages == 0 {
        return Err(ImportError::NotFormat {
            line: 0,
            detail: "has no mail message".to_owned(),
            expected: Source::Dsn.expected(),
        });
    }
    Ok(())
}

/// Send the batches of the mbox; on a read error, the line it happened at.
fn read_batches(
    reader: impl Read,
    sender: &mpsc::SyncSender<Batch>,
) -> Result<(), (u64, std::io::Error)> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut batch = Batch {
        bytes: Vec::with_capacity(BATCH_BYTES + (64 << 10)),
        first_line: 1,
    };
    let mut line = 1u64;
    let mut previous_blank = true;
    loop {
        let start = batch.bytes.len();
        let read = reader
            .read_until(b'\n', &mut batch.bytes)
            .map_err(|error| (line, error))?;
        if read == 0 {
            break;
        }
        let text = &batch.bytes[start..];
        let blank = text.trim_ascii().is_empty();
        if previous_blank && start >= BATCH_BYTES && text.starts_with(b"From ") {
            let next = Batch {
                bytes: batch.bytes.split_off(start),
                first_line: line,
            };
            let full = std::mem::replace(&mut batch, next);
            batch.bytes.reserve(BATCH_BYTES);
            if sender.send(full).is_err() {
                return Ok(()); // the reader of the batches stopped
            }
        }
        previous_blank = blank;
        line += 1;
    }
    if !batch.bytes.is_empty() {
        let _ = sender.send(batch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounce(n: usize) -> String {
        format!(
            "From MAILER-DAEMON Fri Dec  4 10:00:00 2026\n\
             From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n\
             Subject: Mail delivery failed\n\
             Date: Fri, 4 Dec 2026 10:00:00 +0000\n\
             \n\
             This message was created automatically by mail delivery software.\n\
             \n\
             A message that you sent could not be delivered to one or more of its\n\
             recipients. This is a permanent error. The following address(es) failed:\n\
             \n\
             \x20 user{n}@example.org\n\
             \x20   host mx.example.org [192.0.2.1]\n\
             \x20   SMTP error from remote mail server after RCPT TO:<user{n}@example.org>:\n\
             \x20   550 5.1.1 User unknown\n\
             \n"
        )
    }

    /// Across batch boundaries every message is read once, at its own line.
    #[test]
    fn batches_keep_every_message_and_its_lines() {
        let one = bounce(0);
        let per_message_lines = one.lines().count() as u64;
        let count = BATCH_BYTES / one.len() * 2 + 7;
        let mbox: String = (0..count).map(bounce).collect();
        let mut events = Vec::new();
        let mut batches = 0;
        import_mbox(mbox.as_bytes(), |imported| {
            assert!(imported.problems.is_empty(), "{:?}", imported.problems);
            events.extend(imported.events);
            batches += 1;
        })
        .unwrap();
        assert!(batches >= 3, "{batches} batches");
        assert_eq!(events.len(), count);
        for (n, event) in events.iter().enumerate() {
            assert_eq!(event.address, format!("user{n}@example.org"));
            // A notice's event is at the first line of its message, after the `From ` line.
            assert_eq!(event.line, n as u64 * per_message_lines + 2, "mail {n}");
            assert_eq!(event.reply, Some(550));
        }
    }

    /// A `From ` line inside a message (not after a blank line) starts no message.
    #[test]
    fn a_from_line_without_a_blank_line_before_it_is_text() {
        let mbox = format!("{}From the desk of\n", bounce(1));
        let mut events = Vec::new();
        import_mbox(mbox.as_bytes(), |imported| events.extend(imported.events)).unwrap();
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn an_mbox_without_a_message_is_an_error() {
        let error = import_mbox(&b"From nobody\n\n"[..], |_| {}).unwrap_err();
        assert!(error.to_string().contains("has no mail message"), "{error}");
    }

    struct FailsAfter(usize);

    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let text = bounce(2);
            if self.0 == 0 {
                return Err(std::io::Error::other("disk gone"));
            }
            self.0 -= 1;
            let n = text.len().min(buf.len());
            buf[..n].copy_from_slice(&text.as_bytes()[..n]);
            Ok(n)
        }
    }

    /// A read error names the line it happened after; what came before it was handed on.
    #[test]
    fn a_read_error_names_its_line() {
        let mut events = 0;
        let error =
            import_mbox(FailsAfter(3), |imported| events += imported.events.len()).unwrap_err();
        assert!(error.to_string().contains("disk gone"), "{error}");
        assert_eq!(error.line(), Some(3 * 15 + 1), "{error}");
        assert_eq!(events, 0, "an unfinished batch is not read");
    }

    #[test]
    fn is_mbox_looks_at_the_first_line_that_is_not_blank() {
        assert!(is_mbox(b"\n\nFrom a@b Fri Dec  4 10:00:00 2026\n"));
        assert!(!is_mbox(b"From: a@b\n"));
        assert!(!is_mbox(b"email,code\nFrom x\n"));
    }
}
