//! Times in bounce histories: the formats exports use, and dates that read two ways.

use std::fmt;

/// Seconds since the Unix epoch, UTC.
pub type UnixSeconds = i64;

/// How to read a date written with slashes, `03/04/2026` (`--date-order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// Month first: 03/04/2026 is 4 March.
    Mdy,
    /// Day first: 03/04/2026 is 3 April.
    Dmy,
}

impl std::str::FromStr for DateOrder {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "mdy" => Ok(DateOrder::Mdy),
            "dmy" => Ok(DateOrder::Dmy),
            _ => Err(format!(
                "'{text}' is not a date order: expected mdy (03/04/2026 is 4 March) or dmy (3 April)"
            )),
        }
    }
}

impl fmt::Display for DateOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DateOrder::Mdy => "mdy",
            DateOrder::Dmy => "dmy",
        })
    }
}

/// What a time cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRead {
    At(UnixSeconds),
    /// A slash date that reads as two different days, and no `--date-order` to choose.
    Ambiguous,
    Unreadable,
}

/// RFC 3339, an ISO 8601 date, `YYYY-MM-DD HH:MM:SS` (UTC), RFC 2822, Unix seconds or
/// milliseconds; `MM/DD/YYYY` or `DD/MM/YYYY` (with an optional `HH:MM[:SS]`) when the day
/// is over 12 or `order` says which.
pub fn read_time(value: &str, order: Option<DateOrder>) -> TimeRead {
    let value = value.trim();
    if let Some(seconds) = utc_second(value).or_else(|| unix_time(value)) {
        return TimeRead::At(seconds);
    }
    if let Ok(timestamp) = value.parse::<jiff::Timestamp>() {
        return TimeRead::At(timestamp.as_second());
    }
    if let Ok(zoned) = jiff::fmt::rfc2822::parse(value) {
        return TimeRead::At(zoned.timestamp().as_second());
    }
    if value.contains('/') {
        return slash_date(value, order);
    }
    value
        .parse::<jiff::civil::DateTime>()
        .ok()
        .or_else(|| value.parse::<jiff::civil::Date>().ok().map(Into::into))
        .and_then(utc_seconds)
        .map_or(TimeRead::Unreadable, TimeRead::At)
}

/// [`read_time`], for options such as `--as-of` where a slash date is not accepted.
pub fn parse_time(value: &str) -> Option<UnixSeconds> {
    match read_time(value, None) {
        TimeRead::At(seconds) if !value.contains('/') => Some(seconds),
        _ => None,
    }
}

/// The commonest form, `2026-03-02T10:00:00Z`, read without the general parser (a history
/// holds one a row); anything else, or a date that does not exist, is left to it.
fn utc_second(value: &str) -> Option<UnixSeconds> {
    let bytes = value.as_bytes();
    if bytes.len() != 20
        || [
            bytes[4], bytes[7], bytes[10], bytes[13], bytes[16], bytes[19],
        ] != *b"--T::Z"
    {
        return None;
    }
    let number = |from: usize, to: usize| {
        bytes[from..to].iter().try_fold(0i64, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
        })
    };
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    // Years the general parser takes whole (its range ends in 9999 less a day).
    if !(1..=9998).contains(&year)
        || !(1..=month_days).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    // Days from 1970-01-01 of a proleptic Gregorian date (years counted from March, so the
    // leap day ends a year).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// Unix seconds: ten digits (2001 to 2286) with an optional fraction; milliseconds: thirteen
/// digits. Shorter digit runs are dates written another way (`20260302`), not times near 1970.
fn unix_time(value: &str) -> Option<UnixSeconds> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    match whole.len() {
        10 => whole.parse().ok(),
        13 => whole.parse::<i64>().ok().map(|ms| ms.div_euclid(1000)),
        _ => None,
    }
}

fn utc_seconds(civil: jiff::civil::DateTime) -> Option<UnixSeconds> {
    civil
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|zoned| zoned.timestamp().as_second())
}

fn slash_date(value: &str, order: Option<DateOrder>) -> TimeRead {
    let (date, time) = value.split_once([' ', 'T']).unwrap_or((value, ""));
    let parts: Vec<&str> = date.split('/').collect();
    let [first, second, year] = parts.as_slice() else {
        return TimeRead::Unreadable;
    };
    let (Ok(first), Ok(second), Ok(year)) = (
        first.parse::<i8>(),
        second.parse::<i8>(),
        year.parse::<i16>(),
    ) else {
        return TimeRead::Unreadable;
    };
    if year < 1000 {
        return TimeRead::Unreadable;
    }
    let time_of_day = if time.trim().is_empty() {
        jiff::civil::Time::midnight()
    } else {
        let time = time.trim();
        let parsed = jiff::civil::Time::strptime("%H:%M:%S", time)
            .or_else(|_| jiff::civil::Time::strptime("%H:%M", time));
        match parsed {
            Ok(parsed) => parsed,
            Err(_) => return TimeRead::Unreadable,
        }
    };
    let at = |month: i8, day: i8| {
        jiff::civil::Date::new(year, month, day)
            .ok()
            .and_then(|date| utc_seconds(date.to_datetime(time_of_day)))
    };
    let (mdy, dmy) = (at(first, second), at(second, first));
    let chosen = match order {
        Some(DateOrder::Mdy) => mdy,
        Some(DateOrder::Dmy) => dmy,
        None => match (mdy, dmy) {
            (Some(a), Some(b)) if a != b => return TimeRead::Ambiguous,
            (Some(a), _) | (None, Some(a)) => Some(a),
            (None, None) => None,
        },
    };
    chosen.map_or(TimeRead::Unreadable, TimeRead::At)
}

/// `2026-03-02`, the UTC day of a time.
pub fn format_day(time: UnixSeconds) -> String {
    jiff::Timestamp::from_second(time)
        .map(|t| t.to_string()[..10].to_owned())
        .unwrap_or_else(|_| time.to_string())
}

/// Now, from the system clock.
pub fn now() -> UnixSeconds {
    jiff::Timestamp::now().as_second()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 1_772_409_600; // 2026-03-02T00:00:00Z

    #[test]
    fn reads_the_time_formats_exports_use() {
        let cases = [
            ("2026-03-02", Some(DAY)),
            ("2026-03-02T00:00:00Z", Some(DAY)),
            ("2026-03-02T01:00:00+01:00", Some(DAY)),
            ("2026-03-02 10:00:00", Some(DAY + 36_000)),
            ("1772409600", Some(DAY)),
            ("1772409600.25", Some(DAY)),
            ("1772409600123", Some(DAY)),
            ("Mon, 02 Mar 2026 10:00:00 +0000", Some(DAY + 36_000)),
            ("Mon, 2 Mar 2026 11:00:00 +0100", Some(DAY + 36_000)),
            ("20260302", Some(DAY)),
            ("yesterday", None),
            ("02.03.2026", None),
            ("1772409600.", None),
            ("177240960012", None),
            ("2026-13-01", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_time(text), expected, "{text}");
        }
        assert_eq!(format_day(DAY + 100), "2026-03-02");
    }

    /// The quick reading of `YYYY-MM-DDTHH:MM:SSZ` gives what the general parser gives, for
    /// every day of years under each leap-year rule; it reads every real date of those years
    /// itself, and leaves the rest (dates that do not exist, other forms) to the parser.
    #[test]
    fn the_commonest_form_reads_as_the_general_parser_reads_it() {
        let general = |text: &str| text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second());
        let mut quick_days = 0;
        for year in [
            1, 1600, 1900, 1969, 1970, 2000, 2024, 2026, 2100, 2400, 9998, 9999,
        ] {
            for month in 0..=13 {
                for day in 0..=32 {
                    let text = format!("{year:04}-{month:02}-{day:02}T23:59:58Z");
                    let quick = utc_second(&text);
                    if quick.is_some() {
                        quick_days += 1;
                        assert_eq!(quick, general(&text), "{text}");
                    } else if year < 9999 {
                        assert_eq!(general(&text), None, "{text}: a real date left out");
                    }
                }
            }
        }
        // 11 years of 365 or 366 days (1600, 2000, 2024 and 2400 are leap years; 1900 and 2100
        // are not).
        assert_eq!(quick_days, 11 * 365 + 4);
        for text in [
            "2026-03-02T24:00:00Z",
            "2026-03-02T10:60:00Z",
            "2026-03-02T10:00:60Z",
            "2026-03-02t10:00:00Z",
            "2026-03-02T10:00:00z",
            "2026-03-02 10:00:00Z",
            "2026-3-02T10:00:00Z",
            "+026-03-02T10:00:00Z",
            "2026-03-02T10:00:0aZ",
        ] {
            assert_eq!(utc_second(text), None, "{text}");
        }
        assert_eq!(utc_second("2026-03-02T00:00:00Z"), Some(DAY));
        assert_eq!(read_time("2026-03-02T00:00:00Z", None), TimeRead::At(DAY));
    }

    #[test]
    fn a_slash_date_is_read_only_when_it_reads_one_way() {
        assert_eq!(read_time("03/02/2026", None), TimeRead::Ambiguous);
        assert_eq!(
            read_time("03/02/2026", Some(DateOrder::Mdy)),
            TimeRead::At(DAY)
        );
        assert_eq!(
            read_time("02/03/2026 10:00", Some(DateOrder::Dmy)),
            TimeRead::At(DAY + 36_000)
        );
        // A day over 12 tells the order; the same day twice reads one way.
        assert_eq!(read_time("03/25/2026", None), read_time("25/03/2026", None));
        assert!(matches!(read_time("25/03/2026", None), TimeRead::At(_)));
        assert_eq!(
            read_time("02/02/2026", None),
            TimeRead::At(DAY - 28 * 86_400)
        );
        // The order given is kept even when the other would fit.
        assert_eq!(
            read_time("25/03/2026", Some(DateOrder::Mdy)),
            TimeRead::Unreadable
        );
        assert_eq!(read_time("3/2/26", None), TimeRead::Unreadable);
        assert_eq!(read_time("03/02/2026 25:00", None), TimeRead::Unreadable);
        assert_eq!(
            parse_time("03/25/2026"),
            None,
            "options take no slash dates"
        );
        assert_eq!("DMY".parse(), Ok(DateOrder::Dmy));
        assert!("ymd".parse::<DateOrder>().is_err());
    }
}
