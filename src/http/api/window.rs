//! The time window of a silence or maintenance window as a request gives it: `starts`
//! (default now) and either `ends` or `duration`.

use super::ApiError;
use crate::alert::format_time;
use crate::update::Timestamp;
use chrono::{SubsecRound, TimeDelta};
use serde::Deserialize;

/// Longest window accepted: a silence or maintenance window longer than this is more likely a
/// typo than a plan, and a forgotten one would hide real hijacks.
pub const MAX_WINDOW_DAYS: i64 = 30;

/// `duration` as written: seconds (`7200`) or a number with a unit (`"90s"`, `"30m"`, `"2h"`,
/// `"1d"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum DurationSpec {
    /// Seconds.
    Seconds(u64),
    /// Number and unit.
    Text(String),
}

impl DurationSpec {
    fn to_delta(&self) -> Result<TimeDelta, String> {
        let seconds = match self {
            DurationSpec::Seconds(n) => *n,
            DurationSpec::Text(text) => {
                let bad = || {
                    format!("`{text}` is not a duration; write seconds (7200) or \"90s\", \"30m\", \"2h\", \"1d\"")
                };
                let text = text.trim();
                let split = text
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(text.len());
                let (number, unit) = text.split_at(split);
                let n: u64 = number.parse().map_err(|_| bad())?;
                let unit_seconds = match unit {
                    "" | "s" => 1,
                    "m" => 60,
                    "h" => 3600,
                    "d" => 86_400,
                    _ => return Err(bad()),
                };
                n.checked_mul(unit_seconds).ok_or_else(bad)?
            }
        };
        i64::try_from(seconds)
            .ok()
            .and_then(TimeDelta::try_seconds)
            .ok_or_else(|| format!("{seconds} seconds is too long"))
    }
}

/// Resolves a window against `now`: it must end after it starts, after `now`, and last at most
/// [`MAX_WINDOW_DAYS`]. Times are cut to microseconds, the store's precision, so what a `POST`
/// answers is what a later `GET` shows.
pub fn resolve(
    starts: Option<Timestamp>,
    ends: Option<Timestamp>,
    duration: Option<&DurationSpec>,
    now: Timestamp,
) -> Result<(Timestamp, Timestamp), ApiError> {
    let starts = starts.unwrap_or(now);
    let ends = match (ends, duration) {
        (Some(ends), None) => ends,
        (None, Some(duration)) => {
            let delta = duration
                .to_delta()
                .map_err(|detail| ApiError::InvalidField {
                    field: "duration",
                    detail,
                })?;
            starts
                .checked_add_signed(delta)
                .ok_or_else(|| ApiError::InvalidField {
                    field: "duration",
                    detail: "ends beyond the representable time".into(),
                })?
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::InvalidField {
                field: "ends",
                detail: "give `ends` or `duration`, not both".into(),
            })
        }
        (None, None) => {
            return Err(ApiError::InvalidField {
                field: "ends",
                detail: "give `ends` (RFC 3339) or `duration` (\"2h\" or seconds)".into(),
            })
        }
    };
    let (starts, ends) = (starts.trunc_subsecs(6), ends.trunc_subsecs(6));
    let window_error = |detail: String| ApiError::InvalidField {
        field: "ends",
        detail,
    };
    if ends <= starts {
        return Err(window_error(format!(
            "the window must end after it starts ({} .. {})",
            format_time(&starts),
            format_time(&ends)
        )));
    }
    if ends <= now {
        return Err(window_error(format!(
            "the window ended already ({})",
            format_time(&ends)
        )));
    }
    if ends - starts > TimeDelta::days(MAX_WINDOW_DAYS) {
        return Err(window_error(format!(
            "the window is longer than {MAX_WINDOW_DAYS} days; split it or renew it later"
        )));
    }
    Ok((starts, ends))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, hour, 0, 0)
            .unwrap()
    }

    fn text(s: &str) -> DurationSpec {
        DurationSpec::Text(s.into())
    }

    #[test]
    fn times_are_cut_to_the_microseconds_the_store_keeps() {
        let now = at(8) + TimeDelta::nanoseconds(1_234_567);
        let (starts, ends) = resolve(None, None, Some(&text("1h")), now).unwrap();
        assert_eq!(starts, at(8) + TimeDelta::microseconds(1_234));
        assert_eq!(ends, at(9) + TimeDelta::microseconds(1_234));
    }

    #[test]
    fn a_duration_counts_from_the_start_or_now() {
        let now = at(8);
        assert_eq!(
            resolve(None, None, Some(&text("2h")), now).unwrap(),
            (now, at(10))
        );
        let spec = DurationSpec::Seconds(3600);
        assert_eq!(
            resolve(Some(at(9)), None, Some(&spec), now).unwrap(),
            (at(9), at(10))
        );
        assert_eq!(
            resolve(None, Some(at(12)), None, now).unwrap(),
            (now, at(12))
        );
    }

    #[test]
    fn windows_that_are_empty_past_too_long_or_ambiguous_are_refused() {
        let now = at(8);
        let two_hours = text("2h");
        let cases = [
            (None, None, None, "give `ends`"),
            (None, Some(at(9)), Some(&two_hours), "not both"),
            (Some(at(10)), Some(at(9)), None, "end after it starts"),
            (Some(at(5)), Some(at(7)), None, "ended already"),
            (None, None, Some(&text("31d")), "longer than 30 days"),
            (None, None, Some(&text("2 weeks")), "not a duration"),
            (None, None, Some(&text("h")), "not a duration"),
        ];
        for (starts, ends, duration, expected) in cases {
            let err = resolve(starts, ends, duration, now).unwrap_err();
            assert!(err.to_string().contains(expected), "{err} / {expected}");
        }
    }
}
