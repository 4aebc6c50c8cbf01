//! One big file read on all cores: cut into chunks at line starts, each chunk scanned on its
//! own, the parts put back in file order.
//!
//! A line start need not be a record start: a quoted field may hold the newline before it.
//! The scanner keeps no state between records but its place, so a chunk's part is what a scan
//! of the whole file gives from there exactly when the chunk before stopped on the chunk's
//! first byte; when it stopped further on (its last record ran over into this chunk), this
//! chunk is scanned again from there. Line numbers come from counting newlines per chunk.

use rayon::prelude::*;

use super::scan::{Position, Scanner, Stopped};
use super::{InputProblem, Record, unterminated_quote};

/// Below this, a file is one chunk.
pub const CHUNK_BYTES: usize = 2 * 1024 * 1024;

/// Visit every record of `bytes` from where a scan stopped on, on all cores, each chunk into a
/// part of its own (made by `new_part`, given how many lines the chunk holds, for the room to
/// make); the parts come back in file order, so that taken one after the other they hold what
/// a serial scan visits, in its order. An unterminated quote at the end goes to the last part.
pub fn par_for_each_record<P: Send>(
    bytes: &[u8],
    delimiter: u8,
    from: Stopped,
    chunk_bytes: usize,
    new_part: impl Fn(usize) -> P + Sync,
    visit: impl Fn(&mut P, Result<Record<'_>, (u64, InputProblem)>) + Sync,
) -> Vec<P> {
    let mut parts = Vec::new();
    let chunking = Chunking {
        chunk_bytes,
        round: usize::MAX,
    };
    par_for_each_record_in_rounds(bytes, delimiter, from, chunking, new_part, visit, |part| {
        parts.push(part)
    });
    parts
}

/// How a file is cut: chunks of about `chunk_bytes`, scanned `round` chunks at a time.
#[derive(Debug, Clone, Copy)]
pub struct Chunking {
    pub chunk_bytes: usize,
    pub round: usize,
}

/// [`par_for_each_record`], a round of `chunking.round` chunks at a time, each part handed to
/// `take` in file order before the next round is scanned: memory holds a round's parts, not
/// the file's.
pub fn par_for_each_record_in_rounds<P: Send>(
    bytes: &[u8],
    delimiter: u8,
    from: Stopped,
    chunking: Chunking,
    new_part: impl Fn(usize) -> P + Sync,
    visit: impl Fn(&mut P, Result<Record<'_>, (u64, InputProblem)>) + Sync,
    mut take: impl FnMut(P),
) {
    let chunks = line_chunks(bytes, from.at, chunking.chunk_bytes);
    let scan = |at: Position, chunk: &Chunk| {
        let mut part = new_part(chunk.lines);
        let stopped = Scanner::new(delimiter).scan(bytes, at, chunk.end, |record| {
            visit(&mut part, record);
            std::ops::ControlFlow::Continue(())
        });
        (part, stopped)
    };
    let mut at = from.at;
    let mut last = from.last;
    // The part before, handed on once another follows it: the last one may still take the
    // unterminated quote.
    let mut held = None;
    for round in chunks.chunks(chunking.round.max(1)) {
        let scanned: Vec<_> = round
            .par_iter()
            .map(|chunk| scan(chunk.start, chunk))
            .collect();
        for (chunk, (part, stopped)) in round.iter().zip(scanned) {
            let (part, stopped) = if at.offset == chunk.start.offset {
                (part, stopped)
            } else {
                scan(at, chunk)
            };
            at = stopped.at;
            last = stopped.last.or(last);
            if let Some(before) = held.replace(part) {
                take(before);
            }
        }
    }
    if let Some(mut part) = held {
        if let Some(problem) = unterminated_quote(bytes, last) {
            visit(&mut part, Err(problem));
        }
        take(part);
    }
}

/// A piece of a file that starts at a line start.
#[derive(Debug, Clone, Copy)]
pub struct Chunk {
    pub start: Position,
    pub end: usize,
    /// The lines that start in it.
    pub lines: usize,
}

/// Chunks of about `chunk_bytes` from `from` on, each starting at a line start, with their
/// lines counted on all cores.
pub fn line_chunks(bytes: &[u8], from: Position, chunk_bytes: usize) -> Vec<Chunk> {
    let mut starts = vec![from.offset];
    let mut next = from.offset.saturating_add(chunk_bytes.max(1));
    while next < bytes.len() {
        let Some(newline) = memchr::memchr(b'\n', &bytes[next..]) else {
            break;
        };
        let start = next + newline + 1;
        if start >= bytes.len() {
            break;
        }
        starts.push(start);
        next = start.saturating_add(chunk_bytes.max(1));
    }
    let end = |k: usize| starts.get(k + 1).copied().unwrap_or(bytes.len());
    let newlines: Vec<usize> = (0..starts.len())
        .into_par_iter()
        .map(|k| memchr::memchr_iter(b'\n', &bytes[starts[k].min(end(k))..end(k)]).count())
        .collect();
    let mut line = from.line;
    let mut chunks = Vec::with_capacity(starts.len());
    for (k, count) in newlines.into_iter().enumerate() {
        chunks.push(Chunk {
            start: Position {
                offset: starts[k],
                line,
            },
            end: end(k),
            lines: count + 1,
        });
        line += count as u64;
    }
    chunks
}
