//! The audit log's named time ranges (the product's "last 15 minutes, today, yesterday, this week,
//! last week"), computed in the account's time zone. Days start at local midnight, weeks on
//! Monday; daylight-saving days are 23 or 25 hours long, as they are on the wall clock.

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedRange {
    Last15Minutes,
    Today,
    Yesterday,
    ThisWeek,
    LastWeek,
}

/// The names accepted, in the product's order.
pub const RANGE_NAMES: [&str; 5] = [
    "last_15_minutes",
    "today",
    "yesterday",
    "this_week",
    "last_week",
];

impl NamedRange {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "last_15_minutes" => Some(Self::Last15Minutes),
            "today" => Some(Self::Today),
            "yesterday" => Some(Self::Yesterday),
            "this_week" => Some(Self::ThisWeek),
            "last_week" => Some(Self::LastWeek),
            _ => None,
        }
    }

    /// `[from, to)` in UTC for the range as it stands at `now` in `tz`. Ranges that include
    /// the present end at the end of their day or week, not at `now`, so paging is stable.
    pub fn bounds(self, now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let today = now.with_timezone(&tz).date_naive();
        let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
        match self {
            Self::Last15Minutes => (now - Duration::minutes(15), now + Duration::microseconds(1)),
            Self::Today => (
                start_of_day(today, tz),
                start_of_day(today + Days::new(1), tz),
            ),
            Self::Yesterday => (
                start_of_day(today - Days::new(1), tz),
                start_of_day(today, tz),
            ),
            Self::ThisWeek => (
                start_of_day(monday, tz),
                start_of_day(monday + Days::new(7), tz),
            ),
            Self::LastWeek => (
                start_of_day(monday - Days::new(7), tz),
                start_of_day(monday, tz),
            ),
        }
    }
}

/// The first instant of a local day. Where midnight does not exist (a daylight-saving jump at
/// midnight), the day starts at the first local time that does.
pub fn start_of_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += Duration::minutes(30);
    }
    // No zone skips two hours at midnight; fall back to the UTC reading of the local time.
    Utc.from_utc_datetime(&local)
}

/// Parses an IANA time zone name ("Europe/Zagreb", "UTC").
pub fn parse_time_zone(raw: &str) -> Option<Tz> {
    raw.parse::<Tz>().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn names_parse_and_unknown_is_refused() {
        for name in RANGE_NAMES {
            assert!(NamedRange::parse(name).is_some(), "{name}");
        }
        assert_eq!(NamedRange::parse("last_month"), None);
        assert_eq!(NamedRange::parse("Today"), None);
    }

    #[test]
    fn today_and_yesterday_follow_the_local_day() {
        // 23:30 UTC on Tuesday 2026-11-17 is already Wednesday in Zagreb (UTC+1).
        let now = utc("2026-11-17T23:30:00Z");
        let tz: Tz = "Europe/Zagreb".parse().unwrap();
        assert_eq!(
            NamedRange::Today.bounds(now, tz),
            (utc("2026-11-17T23:00:00Z"), utc("2026-11-18T23:00:00Z"))
        );
        assert_eq!(
            NamedRange::Yesterday.bounds(now, tz),
            (utc("2026-11-16T23:00:00Z"), utc("2026-11-17T23:00:00Z"))
        );
        // In UTC it is still Tuesday.
        assert_eq!(
            NamedRange::Today.bounds(now, Tz::UTC),
            (utc("2026-11-17T00:00:00Z"), utc("2026-11-18T00:00:00Z"))
        );
    }

    #[test]
    fn weeks_start_on_monday_in_the_zone() {
        // Sunday 2026-11-22 20:00 in New York (UTC-5) is Monday 01:00 UTC.
        let now = utc("2026-11-23T01:00:00Z");
        let tz: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            NamedRange::ThisWeek.bounds(now, tz),
            (utc("2026-11-16T05:00:00Z"), utc("2026-11-23T05:00:00Z"))
        );
        assert_eq!(
            NamedRange::LastWeek.bounds(now, tz),
            (utc("2026-11-09T05:00:00Z"), utc("2026-11-16T05:00:00Z"))
        );
        // The same instant in UTC is already the next week.
        assert_eq!(
            NamedRange::ThisWeek.bounds(now, Tz::UTC).0,
            utc("2026-11-23T00:00:00Z")
        );
    }

    #[test]
    fn daylight_saving_days_are_23_and_25_hours() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // Clocks go forward on Sunday 2026-03-29.
        let (from, to) = NamedRange::Today.bounds(utc("2026-03-29T12:00:00Z"), tz);
        assert_eq!(to - from, Duration::hours(23));
        // ... and back on Sunday 2026-10-25; that week is 7 days and an hour.
        let (from, to) = NamedRange::Today.bounds(utc("2026-10-25T12:00:00Z"), tz);
        assert_eq!(to - from, Duration::hours(25));
        let (from, to) = NamedRange::ThisWeek.bounds(utc("2026-10-25T12:00:00Z"), tz);
        assert_eq!(
            (from, to),
            (utc("2026-10-18T22:00:00Z"), utc("2026-10-25T23:00:00Z"))
        );
    }

    #[test]
    fn a_missing_midnight_starts_the_day_at_the_first_real_time() {
        // Santiago skips 00:00-01:00 when its summer time begins (2026-09-06).
        let tz: Tz = "America/Santiago".parse().unwrap();
        let start = start_of_day(NaiveDate::from_ymd_opt(2026, 9, 6).unwrap(), tz);
        assert_eq!(start, utc("2026-09-06T04:00:00Z"));
    }

    #[test]
    fn last_15_minutes_ends_just_after_now() {
        let now = utc("2026-11-22T10:00:00Z");
        let (from, to) = NamedRange::Last15Minutes.bounds(now, Tz::UTC);
        assert_eq!(from, utc("2026-11-22T09:45:00Z"));
        assert!(to > now && to - now < Duration::milliseconds(1));
    }

    #[test]
    fn time_zones_parse() {
        assert!(parse_time_zone("Europe/Zagreb").is_some());
        assert!(parse_time_zone("UTC").is_some());
        assert!(parse_time_zone("Mars/Olympus").is_none());
    }
}
