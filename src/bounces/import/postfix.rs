//! Postfix mail logs: the delivery lines of the smtp, lmtp, local, virtual, pipe and error
//! agents, `postfix/smtp[123]: QUEUEID: to=<addr>, relay=..., dsn=5.1.1, status=bounced
//! (host mx[ip] said: 550 5.1.1 ... (in reply to RCPT TO command))`. `bounced` and `deferred`
//! are events; `sent` and the other statuses are skipped; other lines are not counted.
//!
//! Time stamps are ISO 8601 (`2026-03-02T10:14:00.123456+01:00`, Postfix 3.9 / rsyslog) or
//! syslog's `Mar  2 10:14:00`, which has no year and no zone (read as UTC). The year of the
//! LAST syslog stamp in the file is `log_year`, else the year the file was modified, else the
//! current year; earlier lines are placed by walking back over the year turnovers inside the
//! file: the month going back by two or more (Dec -> Jan) starts a new year, and a lone step
//! from January back to December (lines a few seconds out of order around midnight) goes back
//! to the old year.

use std::sync::LazyLock;

use regex::Regex;

use super::{
    ImportError, ImportOptions, Imported, ImportedEvent, MAX_TEXT_BYTES, Source, check_address,
    enhanced_code, flatten, location, parse_iso, shorten,
};

/// The Postfix process tag: `postfix/smtp[123]:`, `postfix-out/smtp[1]:`,
/// `postfix/submission/smtpd[9]:`.
static PROCESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bpostfix[\w.-]*(?:/[\w.-]+)+\[\d+\]:").expect("regex"));
static PROCESS_BYTES: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(r"\bpostfix[\w.-]*(?:/[\w.-]+)+\[\d+\]:.*[\s,]to=<.*\sstatus=")
        .expect("regex")
});
static SYSLOG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)?\s",
    )
    .expect("regex")
});
static TO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s,])to=<([^>]*)>").expect("regex"));
static STATUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\s,]status=([A-Za-z-]+)").expect("regex"));
static DSN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\s,]dsn=([245]\.\d{1,3}\.\d{1,3})\b").expect("regex"));
static SAID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:said|refused to talk to me): ([245]\d\d)(?:[ -]|$)").expect("regex")
});

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Whether the text has a Postfix delivery line anywhere: a busy server's log may open with
/// thousands of connection lines before the first delivery.
pub(super) fn looks_like(bytes: &[u8]) -> bool {
    bytes
        .split(|&b| b == b'\n')
        .any(|line| line.len() <= 64 * 1024 && PROCESS_BYTES.is_match(line))
}

/// A line's time stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    Iso(i64),
    Syslog {
        month: i8,
        day: i8,
        hour: i8,
        minute: i8,
        second: i8,
    },
}

/// `<13>1 ` (RFC 5424) and `<13>` (RFC 3164) before the stamp.
fn strip_priority(line: &str) -> &str {
    let Some(rest) = line.strip_prefix('<') else {
        return line;
    };
    let Some(end) = rest.find('>').filter(|&end| end <= 3) else {
        return line;
    };
    if !rest[..end].bytes().all(|b| b.is_ascii_digit()) {
        return line;
    }
    let rest = &rest[end + 1..];
    rest.strip_prefix("1 ").unwrap_or(rest)
}

fn stamp(line: &str) -> Option<Stamp> {
    let line = strip_priority(line);
    if let Some(found) = SYSLOG.captures(line) {
        let number = |i: usize| found[i].parse::<i8>().ok();
        let month = MONTHS.iter().position(|m| *m == &found[1])? as i8 + 1;
        return Some(Stamp::Syslog {
            month,
            day: number(2)?,
            hour: number(3)?,
            minute: number(4)?,
            second: number(5)?,
        });
    }
    let first = line.split_whitespace().next()?;
    if first.len() < 10 || !first.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    parse_iso(first).map(Stamp::Iso)
}

/// How the year changes from one syslog month to the next.
fn year_step(previous: i8, month: i8) -> i32 {
    if previous >= month + 2 {
        1
    } else if previous == 1 && month == 12 {
        -1
    } else {
        0
    }
}

fn line_text(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    String::from_utf8_lossy(&raw[..raw.len().min(64 * 1024)])
}

pub(super) fn import(
    bytes: &[u8],
    options: &ImportOptions,
    out: &mut Imported,
) -> Result<(), ImportError> {
    // First pass: how many year turnovers the syslog stamps make.
    let mut turnovers = 0;
    let mut previous = None;
    for raw in bytes.split(|&b| b == b'\n') {
        if let Some(Stamp::Syslog { month, .. }) = stamp(&line_text(raw)) {
            if let Some(previous) = previous {
                turnovers += year_step(previous, month);
            }
            previous = Some(month);
        }
    }
    let last_year = options
        .log_year
        .or_else(|| options.file_modified.and_then(year_of))
        .unwrap_or_else(|| {
            i32::from(
                jiff::Timestamp::now()
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .year(),
            )
        });
    let mut year = last_year.saturating_sub(turnovers);
    let mut previous = None;
    let mut delivery_lines = 0usize;
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = index as u64 + 1;
        let text = line_text(raw);
        let stamp = stamp(&text);
        if let Some(Stamp::Syslog { month, .. }) = stamp {
            if let Some(previous) = previous {
                year = year.saturating_add(year_step(previous, month));
            }
            previous = Some(month);
        }
        let Some(process) = PROCESS.find(&text) else {
            continue;
        };
        let rest = &text[process.end()..];
        let Some(to) = TO.captures(rest) else {
            continue;
        };
        let after_to = &rest[to.get(0).map_or(0, |m| m.end())..];
        let Some(status) = STATUS.captures(after_to) else {
            continue;
        };
        delivery_lines += 1;
        let status_word = &status[1];
        if !matches!(status_word, "bounced" | "deferred") {
            out.skipped += 1;
            continue;
        }
        let read = || {
            let address = check_address(&to[1], "to=<>")?;
            let time = match stamp {
                Some(Stamp::Iso(seconds)) => seconds,
                Some(Stamp::Syslog {
                    month,
                    day,
                    hour,
                    minute,
                    second,
                }) => syslog_time(year, month, day, hour, minute, second).ok_or_else(|| {
                    format!(
                        "has the time '{} {day:2} {hour:02}:{minute:02}:{second:02}', which is not a time in {year}: expected a syslog time stamp such as 'Mar  2 10:14:00'",
                        MONTHS[(month - 1) as usize]
                    )
                })?,
                None => {
                    return Err(format!(
                        "starts with '{}', not a time: expected a syslog time stamp ('Mar  2 10:14:00') or ISO 8601 ('2026-03-02T10:14:00+01:00')",
                        shorten(text.split_whitespace().next().unwrap_or_default(), 32)
                    ));
                }
            };
            let mut event = ImportedEvent::new(Source::Postfix, line, location(line, ""), address);
            event.time = Some(time);
            let after_status = &after_to[status.get(0).map_or(0, |m| m.end())..];
            let reply_text = after_status
                .trim_end()
                .strip_prefix(" (")
                .map(|inner| inner.strip_suffix(')').unwrap_or(inner))
                .unwrap_or_default();
            event.text = flatten(reply_text, MAX_TEXT_BYTES);
            event.reply = SAID
                .captures(&event.text)
                .and_then(|found| found[1].parse().ok());
            let before_status = &after_to[..status.get(0).map_or(0, |m| m.start())];
            event.enhanced = DSN
                .captures(before_status)
                .and_then(|found| enhanced_code(&found[1]));
            event.source_verdict = format!("status={status_word}");
            Ok(event)
        };
        match read() {
            Ok(event) => out.events.push(event),
            Err(message) => out.problem(line, location(line, ""), message),
        }
    }
    if delivery_lines == 0 {
        return Err(ImportError::NotFormat {
            line: 0,
            detail: "has no Postfix delivery line (postfix/...[pid]: ... to=<...> ... status=...)"
                .to_owned(),
            expected: Source::Postfix.expected(),
        });
    }
    Ok(())
}

fn year_of(seconds: i64) -> Option<i32> {
    let timestamp = jiff::Timestamp::from_second(seconds).ok()?;
    Some(i32::from(
        timestamp.to_zoned_datetime(jiff::tz::TimeZone::UTC).year(),
    ))
}

fn syslog_time(year: i32, month: i8, day: i8, hour: i8, minute: i8, second: i8) -> Option<i64> {
    let year = i16::try_from(year)
        .ok()
        .filter(|y| (1970..=9999).contains(y))?;
    let civil = jiff::civil::DateTime::new(year, month, day, hour, minute, second, 0).ok()?;
    jiff::tz::TimeZone::UTC
        .to_timestamp(civil)
        .ok()
        .map(|timestamp| timestamp.as_second())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::import::import as read;

    fn options(year: i32) -> ImportOptions {
        ImportOptions {
            log_year: Some(year),
            file_modified: None,
        }
    }

    #[test]
    fn the_last_line_is_in_the_given_year() {
        let log = "Dec 31 23:59:58 mx postfix/smtp[1]: A1: to=<a@x.com>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to mx.x.com[192.0.2.1]:25: Connection timed out)\n\
Jan  1 00:00:01 mx postfix/smtp[1]: A2: to=<b@x.com>, relay=mx[192.0.2.1]:25, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 unknown (in reply to RCPT TO command))\n\
Dec 31 23:59:59 mx postfix/qmgr[2]: A1: removed\n\
Jan  1 00:00:02 mx postfix/smtp[1]: A3: to=<c@x.com>, relay=mx[192.0.2.1]:25, dsn=2.0.0, status=sent (250 ok)\n";
        let imported = read(log.as_bytes(), Source::Postfix, &options(2026)).unwrap();
        assert_eq!(imported.skipped, 1);
        let times: Vec<Option<i64>> = imported.events.iter().map(|e| e.time).collect();
        // 2025-12-31T23:59:58Z and 2026-01-01T00:00:01Z.
        assert_eq!(times, vec![Some(1_767_225_598), Some(1_767_225_601)]);
        assert_eq!(imported.events[1].reply, Some(550));
        assert_eq!(imported.events[1].enhanced.as_deref(), Some("5.1.1"));
        assert_eq!(imported.events[0].reply, None);
    }

    #[test]
    fn a_month_back_by_one_is_not_a_new_year() {
        assert_eq!(year_step(3, 2), 0);
        assert_eq!(year_step(12, 1), 1);
        assert_eq!(year_step(11, 2), 1);
        assert_eq!(year_step(1, 12), -1);
        assert_eq!(year_step(5, 6), 0);
    }

    #[test]
    fn bad_stamps_are_problems_and_no_delivery_line_is_an_error() {
        let log = "Feb 29 10:00:00 mx postfix/smtp[1]: A: to=<a@x.com>, dsn=5.1.1, status=bounced (x)\n\
host postfix/smtp[1]: A: to=<b@x.com>, dsn=5.1.1, status=bounced (x)\n\
<22>1 2026-03-02T10:14:00.123456+01:00 mx postfix/smtp[1]: A: to=<c@x.com>, dsn=5.1.1, status=bounced (x)\n";
        let imported = read(log.as_bytes(), Source::Postfix, &options(2025)).unwrap();
        assert_eq!(imported.events.len(), 1);
        assert_eq!(imported.events[0].time, Some(1_772_442_840));
        let lines: Vec<u64> = imported.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![1, 2]);
        assert!(imported.problems[0].message.contains("not a time in 2025"));
        let error = read(b"hello\nworld\n", Source::Postfix, &options(2025)).unwrap_err();
        assert!(
            error.to_string().contains("no Postfix delivery line"),
            "{error}"
        );
    }
}
