//! Azure Communication Services Email: the Event Grid events
//! `Microsoft.Communication.EmailDeliveryReportReceived` (Event Grid or CloudEvents schema; one
//! event, an array, or JSON lines), and the Log Analytics table `ACSEmailStatusUpdateOperational`,
//! as the portal's CSV export or the Query API's JSON (`{"tables": [...]}`).
//!
//! A delivery report is `data.recipient`, `data.status` and `data.deliveryStatusDetails.
//! statusMessage` (the server's reply), at `data.deliveryAttemptTimeStamp` (the SDKs spell it
//! `...Timestamp`). Bounced and Failed are bounces (ACS has no soft status: the reply decides
//! whether a failure is soft); Suppressed is a send ACS refused because it had suppressed the
//! address (already suppressed); FilteredSpam and Quarantined are refusals of the message
//! (read, not counted); Delivered, Expanded and the engagement events are skipped.
//!
//! A Log Analytics row says the same with `RecipientId`, `DeliveryStatus`, `SmtpStatusCode`,
//! `EnhancedSmtpStatusCode`, `IsHardBounce` (True/False, in the verdict) and `FailureMessage`,
//! at `TimeGenerated` (UTC; the portal writes it in the browser's locale, read as the US
//! `3/11/2026, 4:40:05.118 PM`, or ISO 8601).

use serde_json::{Map, Value};

use super::csv_export;
use super::json::{self, JsonFile, Node};
use super::{
    ImportError, Imported, ImportedEvent, MAX_TEXT_BYTES, Source, check_address, enhanced_code,
    flatten, parse_iso, shorten, verdict,
};

const DELIVERY_REPORT: &str = "Microsoft.Communication.EmailDeliveryReportReceived";

/// The statuses that say something about a send; the others are skipped.
const READ_STATUSES: [&str; 5] = [
    "Bounced",
    "Failed",
    "Suppressed",
    "FilteredSpam",
    "Quarantined",
];

pub(super) fn is_event(map: &Map<String, Value>) -> bool {
    ["eventType", "type"].iter().any(|key| {
        map.get(*key)
            .and_then(Value::as_str)
            .is_some_and(|kind| kind.starts_with("Microsoft.Communication."))
    }) && map.contains_key("data")
}

pub(super) fn import_events(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    json::each_event(
        bytes,
        Source::AzureEventGrid,
        None,
        is_event,
        out,
        delivery_report,
    )
}

fn delivery_report(file: &JsonFile<'_>, node: &Node<'_>) -> Result<Option<ImportedEvent>, String> {
    let map = node.object()?;
    let kind = json::string(map, "eventType")?
        .or(json::string(map, "type")?)
        .unwrap_or_default();
    if kind != DELIVERY_REPORT {
        return Ok(None);
    }
    let Some(data) = file.member(node, "data") else {
        return Err("has no `data`: expected the delivery report".to_owned());
    };
    let data = data.object()?;
    let status = json::string(data, "status")?.unwrap_or_default().trim();
    if !READ_STATUSES.contains(&status) {
        return Ok(None);
    }
    let address = check_address(
        json::required_string(data, "recipient", "the recipient's address")?,
        "data.recipient",
    )?;
    let mut event = ImportedEvent::new(Source::AzureEventGrid, node.line, node.location(), address);
    let message = match data.get("deliveryStatusDetails") {
        Some(Value::Object(details)) => json::string(details, "statusMessage")?.unwrap_or_default(),
        _ => "",
    };
    event.text = flatten(message, MAX_TEXT_BYTES);
    event.already_suppressed = status == "Suppressed";
    event.source_verdict = verdict(status);
    event.time = json::unix_time(data, "deliveryAttemptTimeStamp")?
        .or(json::unix_time(data, "deliveryAttemptTimestamp")?)
        .or(json::unix_time(map, "eventTime")?)
        .or(json::unix_time(map, "time")?);
    Ok(Some(event))
}

/// One row of the Log Analytics table, by column name.
struct LogRow<'a> {
    recipient: &'a str,
    status: &'a str,
    reply: &'a str,
    enhanced: &'a str,
    hard: &'a str,
    message: &'a str,
    time: Result<Option<i64>, String>,
}

impl LogRow<'_> {
    fn event(self, line: u64, location: String) -> Result<Option<ImportedEvent>, String> {
        if !READ_STATUSES.contains(&self.status) {
            return Ok(None);
        }
        let address = check_address(self.recipient, "RecipientId")?;
        let mut event = ImportedEvent::new(Source::AzureLogs, line, location, address);
        event.time = self.time?;
        event.reply = self.reply.parse::<i64>().ok().and_then(super::smtp_reply);
        event.enhanced = enhanced_code(self.enhanced);
        event.text = flatten(self.message, MAX_TEXT_BYTES);
        event.already_suppressed = self.status == "Suppressed";
        event.source_verdict = verdict(&if self.hard.is_empty() {
            self.status.to_owned()
        } else {
            format!("{}/IsHardBounce={}", self.status, self.hard)
        });
        Ok(Some(event))
    }
}

/// `TimeGenerated`: ISO 8601, or the portal's US locale `3/11/2026, 4:40:05.118 PM`.
fn log_time(value: &str) -> Result<Option<i64>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if let Some(time) = parse_iso(value) {
        return Ok(Some(time));
    }
    let bad = || {
        format!(
            "has the time '{}' in `TimeGenerated`: expected ISO 8601 or the portal's 3/11/2026, 4:40:05.118 PM (UTC)",
            shorten(value, 40)
        )
    };
    let (date, time) = value.split_once(", ").ok_or_else(bad)?;
    let date = jiff::civil::Date::strptime("%m/%d/%Y", date.trim()).map_err(|_| bad())?;
    // The fraction of a second is dropped: the history keeps seconds.
    let (clock, meridiem) = time.trim().rsplit_once(' ').ok_or_else(bad)?;
    let clock = clock.split('.').next().unwrap_or(clock);
    let time = jiff::civil::Time::strptime("%I:%M:%S %p", format!("{clock} {meridiem}"))
        .map_err(|_| bad())?;
    date.to_datetime(time)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|zoned| Some(zoned.timestamp().as_second()))
        .map_err(|_| bad())
}

/// The columns of the table that are read.
struct LogColumns {
    time: Option<usize>,
    recipient: usize,
    status: usize,
    reply: Option<usize>,
    enhanced: Option<usize>,
    hard: Option<usize>,
    message: Option<usize>,
}

fn log_columns(names: &[String]) -> Option<LogColumns> {
    // The portal writes `TimeGenerated [UTC]`.
    let find = |want: &str| {
        names
            .iter()
            .position(|name| name == want || name.starts_with(&format!("{want} [")))
    };
    Some(LogColumns {
        time: find("timegenerated"),
        recipient: find("recipientid")?,
        status: find("deliverystatus")?,
        reply: find("smtpstatuscode"),
        enhanced: find("enhancedsmtpstatuscode"),
        hard: find("ishardbounce"),
        message: find("failuremessage"),
    })
}

/// Whether a CSV header is the Log Analytics table's.
pub(super) fn is_log_csv(bytes: &[u8]) -> bool {
    log_columns(&csv_export::first_header(bytes)).is_some()
}

pub(super) fn is_log_json(map: &Map<String, Value>) -> bool {
    map.get("tables").is_some_and(Value::is_array)
}

pub(super) fn import_logs(bytes: &[u8], out: &mut Imported) -> Result<(), ImportError> {
    let first = bytes.trim_ascii_start().first();
    if first != Some(&b'{') && first != Some(&b'[') {
        return csv_export::each_row(
            bytes,
            Source::AzureLogs,
            log_columns,
            |columns, row, out| {
                let log = LogRow {
                    recipient: row.cell(Some(columns.recipient)),
                    status: row.cell(Some(columns.status)),
                    reply: row.cell(columns.reply),
                    enhanced: row.cell(columns.enhanced),
                    hard: row.cell(columns.hard),
                    message: row.cell(columns.message),
                    time: log_time(row.cell(columns.time)),
                };
                match log.event(row.line, row.location())? {
                    Some(event) => out.events.push(event),
                    None => out.skipped += 1,
                }
                Ok(())
            },
            out,
        );
    }
    let file = JsonFile::read(bytes, Source::AzureLogs)?;
    out.problems.extend(file.problems.iter().cloned());
    for root in file.roots() {
        for table in file
            .member(&root, "tables")
            .map_or_else(Vec::new, |t| file.elements(&t))
        {
            if let Err(message) = log_table(&file, &table, out) {
                out.problem(table.line, table.location(), message);
            }
        }
    }
    Ok(())
}

fn log_table(file: &JsonFile<'_>, table: &Node<'_>, out: &mut Imported) -> Result<(), String> {
    let map = table.object()?;
    let names: Vec<String> = match map.get("columns") {
        Some(Value::Array(columns)) => columns
            .iter()
            .map(|column| {
                column
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_ascii_lowercase()
            })
            .collect(),
        _ => return Err("has no `columns`: expected the table's column names".to_owned()),
    };
    let Some(columns) = log_columns(&names) else {
        return Err(
            "has no RecipientId or DeliveryStatus column: expected ACSEmailStatusUpdateOperational"
                .to_owned(),
        );
    };
    let Some(rows) = file.member(table, "rows") else {
        return Err("has no `rows`: expected the table's rows".to_owned());
    };
    for row in file.elements(&rows) {
        let Some(cells) = row.value.as_array() else {
            out.problem(
                row.line,
                row.location(),
                "is not an array of cells".to_owned(),
            );
            continue;
        };
        let cell = |index: Option<usize>| {
            index
                .and_then(|i| cells.get(i))
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or_default()
        };
        let log = LogRow {
            recipient: cell(Some(columns.recipient)),
            status: cell(Some(columns.status)),
            reply: cell(columns.reply),
            enhanced: cell(columns.enhanced),
            hard: cell(columns.hard),
            message: cell(columns.message),
            time: log_time(cell(columns.time)),
        };
        match log.event(row.line, row.location()) {
            Ok(Some(event)) => out.events.push(event),
            Ok(None) => out.skipped += 1,
            Err(message) => out.problem(row.line, row.location(), message),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_portal_time_is_read_as_utc() {
        assert_eq!(
            log_time("3/11/2026, 4:40:05.118 PM"),
            Ok(Some(1_773_247_205))
        );
        assert_eq!(log_time("2026-03-11T16:40:05Z"), Ok(Some(1_773_247_205)));
        assert!(log_time("11.3.2026 16:40").is_err());
    }
}
