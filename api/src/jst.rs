//! Japan Standard Time: what staff and residents read dates in.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| unreachable!("+09:00 is a valid offset"))
}

/// The JST calendar date of an instant.
pub fn date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&offset()).date_naive()
}

pub fn today() -> NaiveDate {
    date(Utc::now())
}

/// The instant a JST calendar day begins.
pub fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(offset())
        .single()
        .map_or_else(
            || day.and_time(chrono::NaiveTime::MIN).and_utc(),
            |t| t.to_utc(),
        )
}
