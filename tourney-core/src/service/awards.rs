//! Weekly awards: once an ISO week (Monday 00:00 UTC to the next Monday) has ended, the
//! top three of each category's week board (every place) get first, second and third
//! place. Each (category, week) is settled once by a create-if-absent commit, so a re-run
//! or two workers at once give each award exactly once.

use ocean::records::{Order, Query, SortRange, Write};
use serde::{Deserialize, Serialize};

use crate::ids::{PhotoId, UserId};
use crate::leaderboard::{PageSize, Window};
use crate::service::photos::PhotoRecord;
use crate::service::store;
use crate::service::{Game, ServiceError};
use crate::time::Timestamp;

/// Places awarded per category and week (first, second, third).
pub const AWARDED_PLACES: u32 = 3;
/// Most past weeks one run settles when the worker was away for a while.
const MAX_CATCH_UP_WEEKS: i64 = 8;
/// Photos read per index page while building a week's board.
const WEEK_READ_PAGE: u32 = 1000;

const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;
const WEEK_MILLIS: i64 = 7 * DAY_MILLIS;

/// An ISO 8601 week: seven days from a Monday 00:00 UTC.
///
/// ```
/// use tourney_core::Timestamp;
/// use tourney_core::service::IsoWeek;
///
/// // Friday 2021-01-01 belongs to the last week of 2020.
/// let week = IsoWeek::containing(Timestamp::from_millis(1_609_459_200_000));
/// assert_eq!(week.label(), "2020-W53");
/// assert_eq!(week.next().label(), "2021-W01");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    /// Its Monday, in days since the Unix epoch.
    monday: i64,
}

impl IsoWeek {
    /// The week `at` falls in.
    pub fn containing(at: Timestamp) -> Self {
        let day = at.millis().div_euclid(DAY_MILLIS);
        // 1970-01-01 was a Thursday: Monday is 3 days before it.
        Self {
            monday: day - (day + 3).rem_euclid(7),
        }
    }

    /// Its first instant (Monday 00:00 UTC).
    pub fn start(self) -> Timestamp {
        Timestamp::from_millis(self.monday.saturating_mul(DAY_MILLIS))
    }

    /// The first instant after it (the next Monday 00:00 UTC).
    pub fn end(self) -> Timestamp {
        Timestamp::from_millis(self.start().millis().saturating_add(WEEK_MILLIS))
    }

    /// The week after.
    #[must_use]
    pub fn next(self) -> Self {
        Self {
            monday: self.monday + 7,
        }
    }

    /// The week before.
    #[must_use]
    pub fn previous(self) -> Self {
        Self {
            monday: self.monday - 7,
        }
    }

    /// `YYYY-Www`: the ISO year (the year of its Thursday) and week number, e.g.
    /// `2025-W01`. Labels of the same year sort like the weeks.
    pub fn label(self) -> String {
        let thursday = self.monday + 3;
        let (year, _, _) = civil_from_days(thursday);
        let week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
        format!("{year:04}-W{week:02}")
    }
}

/// (year, month, day) of a day counted from 1970-01-01 (proleptic Gregorian calendar;
/// Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days from 1970-01-01 to a (year, month, day) (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// One award of a photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardView {
    /// The category whose week board it topped.
    pub category: String,
    /// The ISO week, `YYYY-Www`.
    pub week: String,
    /// 1, 2 or 3.
    pub place: u32,
    /// When the award was given.
    pub awarded_at: Timestamp,
}

/// What one run of the weekly job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AwardsReport {
    /// Ended weeks this run looked at (0: no week had ended since the last run).
    pub weeks: usize,
    /// Awards this run gave (0 when another run had given them already).
    pub awards: usize,
}

/// A category's awards of a week: the claim that settles (category, week) once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct WeekAwards {
    category: String,
    week: String,
    week_start: i64,
    /// The awarded photos, first place first.
    photo_ids: Vec<String>,
    awarded_at: i64,
}

/// One photo's award as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PhotoAward {
    category: String,
    week: String,
    place: u32,
    awarded_at: i64,
}

/// The weekly job's progress: the last week it settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct AwardsSchedule {
    last_week_start: i64,
}

fn week_awards_key(category: &str, week: &str) -> ocean::records::Key {
    ocean::records::Key::new(format!("award#{category}#{week}"), "award")
}

fn photo_awards_partition(photo_id: &str) -> String {
    format!("pa#{photo_id}")
}

fn photo_award_key(photo_id: &str, week: &str, category: &str) -> ocean::records::Key {
    ocean::records::Key::new(
        photo_awards_partition(photo_id),
        format!("{week}#{category}"),
    )
}

fn awards_schedule_key() -> ocean::records::Key {
    ocean::records::Key::new("schedule#awards", "schedule")
}

impl Game {
    /// The weekly job: settles every week that has ended since the last run (the week just
    /// ended on a first run; at most the last eight after a long pause), then remembers the
    /// last one. Idempotent and safe to run from several workers at once: each
    /// (category, week) is given once.
    pub async fn give_weekly_awards(&self, now: Timestamp) -> Result<AwardsReport, ServiceError> {
        let last_ended = IsoWeek::containing(now).previous();
        let schedule_key = awards_schedule_key();
        let schedule: Option<store::Versioned<AwardsSchedule>> =
            store::get(self.ports.records.as_ref(), &schedule_key).await?;
        let oldest_allowed = IsoWeek {
            monday: last_ended.monday - 7 * (MAX_CATCH_UP_WEEKS - 1),
        };
        let mut week = match &schedule {
            Some(stored) => {
                IsoWeek::containing(Timestamp::from_millis(stored.value.last_week_start))
                    .next()
                    .max(oldest_allowed)
            }
            None => last_ended,
        };
        let mut report = AwardsReport::default();
        while week <= last_ended {
            report.weeks += 1;
            report.awards += self.award_week(week, now).await?;
            week = week.next();
        }
        if report.weeks == 0 {
            return Ok(report);
        }
        let write = store::put(
            schedule_key,
            &AwardsSchedule {
                last_week_start: last_ended.start().millis(),
            },
            schedule.map_or(0, |stored| stored.version),
        )?;
        match self.ports.records.write(write).await {
            // Another worker moved the schedule on meanwhile; the claims kept it once.
            Err(error) if error.kind() == ocean::ErrorKind::Conflict => Ok(report),
            Err(error) => Err(error.into()),
            Ok(()) => Ok(report),
        }
    }

    /// Gives `week`'s awards in every category: the top three of the board of the photos
    /// posted that week (every place), ranked at the week's last instant with today's
    /// ratings. Returns how many awards this call gave: 0 for a (category, week) already
    /// settled, by this or another worker.
    pub async fn award_week(&self, week: IsoWeek, now: Timestamp) -> Result<usize, ServiceError> {
        let label = week.label();
        let mut n_given = 0;
        for category in self.config.categories.names() {
            let claim_key = week_awards_key(category, &label);
            if self.ports.records.get(&claim_key).await?.is_some() {
                continue;
            }
            let records = self.week_photos(category, week).await?;
            let ranked_at = Timestamp::from_millis(week.end().millis() - 1);
            let board = self
                .board_page(
                    &records,
                    Window::ThisWeek,
                    PageSize::new(AWARDED_PLACES)?,
                    None,
                    ranked_at,
                )
                .await?;
            let winners: Vec<PhotoId> = board
                .entries
                .iter()
                .map(|(_, entry, _)| entry.photo_id)
                .collect();
            let claim = WeekAwards {
                category: category.clone(),
                week: label.clone(),
                week_start: week.start().millis(),
                photo_ids: winners.iter().map(PhotoId::to_string).collect(),
                awarded_at: now.millis(),
            };
            let mut writes: Vec<Write> = vec![store::put(claim_key, &claim, 0)?];
            for (place, photo_id) in (1..).zip(&winners) {
                let photo_id = photo_id.to_string();
                let award = PhotoAward {
                    category: category.clone(),
                    week: label.clone(),
                    place,
                    awarded_at: now.millis(),
                };
                writes.push(store::put(
                    photo_award_key(&photo_id, &label, category),
                    &award,
                    0,
                )?);
            }
            match self.ports.records.commit(writes).await {
                Ok(()) => n_given += winners.len(),
                // Settled meanwhile by another worker: its awards stand, all or nothing.
                Err(error) if error.kind() == ocean::ErrorKind::Conflict => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(n_given)
    }

    /// A photo's awards, oldest week first, for its owner; others get
    /// [`ServiceError::Forbidden`] (or not found for a photo they cannot see).
    pub async fn photo_awards(
        &self,
        caller: UserId,
        photo_id: PhotoId,
        now: Timestamp,
    ) -> Result<Vec<AwardView>, ServiceError> {
        let photo = self.photo(photo_id, Some(caller), now).await?;
        if photo.owner != caller {
            return Err(ServiceError::Forbidden {
                message: format!("only the owner of photo {photo_id} may read its awards"),
            });
        }
        let mut query = Query::partition(photo_awards_partition(&photo_id.to_string()), 1000);
        let mut awards = Vec::new();
        loop {
            let page = self.ports.records.query(&query).await?;
            for item in &page.items {
                let award: PhotoAward = store::decode(item)?;
                awards.push(AwardView {
                    category: award.category,
                    week: award.week,
                    place: award.place,
                    awarded_at: Timestamp::from_millis(award.awarded_at),
                });
            }
            match page.next {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
        }
        awards
            .sort_by(|a, b| (&a.week, a.place, &a.category).cmp(&(&b.week, b.place, &b.category)));
        Ok(awards)
    }

    /// The competing photos of `category` (every place) posted within `week`.
    async fn week_photos(
        &self,
        category: &str,
        week: IsoWeek,
    ) -> Result<Vec<PhotoRecord>, ServiceError> {
        let query = Query {
            index: Some(store::GLOBAL_POOL),
            range: SortRange::Between {
                start: store::time_key(week.start().millis()),
                // Every sort key of the week's last millisecond (`<time>#<photo>`).
                end: format!("{}~", store::time_key(week.end().millis() - 1)),
            },
            order: Order::Ascending,
            ..Query::partition("", WEEK_READ_PAGE)
        };
        self.competing_photos(query, store::global_pool_partitions(category))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i64, month: i64, day: i64) -> Timestamp {
        Timestamp::from_millis(days_from_civil(year, month, day) * DAY_MILLIS)
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -1, 0, 1, 59, 365, 10_957, 19_000, 2_932_896] {
            let (year, month, date) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, date), days, "{days}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn iso_weeks_follow_the_standard() {
        // (date, its ISO week): year boundaries where the ISO year differs.
        let cases = [
            ((1970, 1, 1), "1970-W01"),
            ((2004, 12, 31), "2004-W53"),
            ((2005, 1, 2), "2004-W53"),
            ((2005, 1, 3), "2005-W01"),
            ((2008, 12, 29), "2009-W01"),
            ((2020, 12, 31), "2020-W53"),
            ((2021, 1, 3), "2020-W53"),
            ((2021, 1, 4), "2021-W01"),
            ((2024, 12, 30), "2025-W01"),
            ((2026, 6, 15), "2026-W25"),
        ];
        for ((year, month, date), label) in cases {
            assert_eq!(
                IsoWeek::containing(day(year, month, date)).label(),
                label,
                "{year}-{month}-{date}"
            );
        }
    }

    #[test]
    fn a_week_runs_from_monday_to_monday() {
        let sunday_night = Timestamp::from_millis(day(2025, 1, 6).millis() - 1);
        let week = IsoWeek::containing(sunday_night);
        assert_eq!(week.start(), day(2024, 12, 30));
        assert_eq!(week.end(), day(2025, 1, 6));
        assert_eq!(IsoWeek::containing(week.end()), week.next());
        assert_eq!(week.next().previous(), week);
        assert_eq!(IsoWeek::containing(week.start()), week);
    }
}
