//! Who may use the Papa-Mama card (seed 2.6(2)エ), as pure date arithmetic in JST.
//!
//! A child counts "until the 31 March after reaching 18". Under Japan's Act on
//! Counting Age (年齢計算ニ関スル法律) a person reaches an age at the end of the
//! day before the birthday anniversary, so:
//! - born 2 April → reaches 18 on 1 April → eligible until 31 March of the next year;
//! - born 1 April → reaches 18 on 31 March → eligible until that same 31 March
//!   (the school-year boundary every Japanese reader expects);
//! - born 29 February → in a common year the anniversary is taken as 1 March,
//!   so 18 is reached on 28 February → eligible until 31 March that year.
//!
//! A pregnancy counts until a staff-configured number of days after the
//! expected date. A household is eligible while anything counts.

use chrono::{Datelike, Duration, NaiveDate};

/// The day a person born on `birth` reaches `years` (end of the day before the anniversary).
#[allow(clippy::expect_used, reason = "1 March exists in every year")]
pub fn reaches_age(birth: NaiveDate, years: i32) -> NaiveDate {
    let year = birth.year() + years;
    let anniversary = NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
        // 29 February in a common year: the anniversary is 1 March.
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 3, 1).expect("1 March exists"));
    anniversary - Duration::days(1)
}

/// The last day a child born on `birth` keeps the household eligible.
#[allow(clippy::expect_used, reason = "31 March exists in every year")]
pub fn child_until(birth: NaiveDate) -> NaiveDate {
    let reached = reaches_age(birth, 18);
    let march_31 = NaiveDate::from_ymd_opt(reached.year(), 3, 31).expect("31 March exists");
    if reached <= march_31 {
        march_31
    } else {
        NaiveDate::from_ymd_opt(reached.year() + 1, 3, 31).expect("31 March exists")
    }
}

pub fn pregnancy_until(expected: NaiveDate, grace_days: i32) -> NaiveDate {
    expected + Duration::days(grace_days.into())
}

/// The last eligible day of a household, if anything makes it eligible at all.
pub fn household_until(
    births: &[NaiveDate],
    expected: Option<NaiveDate>,
    grace_days: i32,
) -> Option<NaiveDate> {
    births
        .iter()
        .map(|b| child_until(*b))
        .chain(expected.map(|e| pregnancy_until(e, grace_days)))
        .max()
}

pub fn eligible_on(until: Option<NaiveDate>, today: NaiveDate) -> bool {
    until.is_some_and(|u| today <= u)
}

/// Today in Japan, whatever the server's time zone.
pub fn today_jst() -> NaiveDate {
    (chrono::Utc::now() + Duration::hours(9)).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn children_by_birthday() {
        let cases = [
            // (birth, last eligible day, why)
            (
                "2008-04-02",
                "2027-03-31",
                "2 April: reaches 18 on 1 April 2026, next 31 March",
            ),
            (
                "2008-04-01",
                "2026-03-31",
                "1 April: reaches 18 on 31 March 2026 itself",
            ),
            (
                "2008-03-31",
                "2026-03-31",
                "31 March: reaches 18 on 30 March",
            ),
            (
                "2008-01-01",
                "2026-03-31",
                "1 January: reaches 18 on 31 December 2025",
            ),
            (
                "2008-02-29",
                "2026-03-31",
                "29 February: anniversary 1 March, reaches 18 on 28 February",
            ),
            (
                "2012-02-29",
                "2030-03-31",
                "29 February, 18th anniversary in a common year",
            ),
            (
                "2008-12-31",
                "2027-03-31",
                "31 December: reaches 18 on 30 December 2026",
            ),
            (
                "2024-02-29",
                "2042-03-31",
                "leap-day baby, anniversary year 2042 is common",
            ),
            ("2010-04-02", "2029-03-31", "2 April"),
        ];
        for (birth, until, why) in cases {
            assert_eq!(child_until(d(birth)), d(until), "{why}");
        }
    }

    #[test]
    fn reaching_age_on_a_leap_year_anniversary() {
        // Born 29 February 2008; 2028 is a leap year but 18 is reached in 2026.
        assert_eq!(reaches_age(d("2008-02-29"), 18), d("2026-02-28"));
        // 20 is reached in 2028, a leap year: the day before 29 February.
        assert_eq!(reaches_age(d("2008-02-29"), 20), d("2028-02-28"));
        assert_eq!(reaches_age(d("2008-03-01"), 18), d("2026-02-28"));
    }

    #[test]
    fn eligibility_on_the_boundary_days() {
        let until = Some(child_until(d("2008-04-01")));
        assert!(
            eligible_on(until, d("2026-03-31")),
            "the last day still counts (JST)"
        );
        assert!(!eligible_on(until, d("2026-04-01")));
        assert!(
            !eligible_on(None, d("2026-04-01")),
            "nothing keeps the household eligible"
        );
    }

    #[test]
    fn pregnancy_and_mixed_households() {
        assert_eq!(pregnancy_until(d("2026-12-01"), 365), d("2027-12-01"));
        assert_eq!(pregnancy_until(d("2026-12-01"), 0), d("2026-12-01"));
        // Pregnancy keeps a household with a grown-up child eligible.
        let until = household_until(&[d("2000-05-05")], Some(d("2027-01-10")), 30);
        assert_eq!(until, Some(d("2027-02-09")));
        // The youngest child decides.
        let until = household_until(&[d("2005-05-05"), d("2015-06-01")], None, 30);
        assert_eq!(until, Some(d("2034-03-31")));
        assert_eq!(household_until(&[], None, 30), None);
    }
}
