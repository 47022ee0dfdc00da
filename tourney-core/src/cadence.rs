//! Tournament cadence: the per-judge state machine that decides when a response carries a
//! tournament instead of more matches, and of which kind (local, regional, global).

use std::time::Duration;

use crate::pool::Scope;
use crate::time::Timestamp;

/// The numbers of the cadence; all are settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CadenceConfig {
    /// Matches before a local tournament, also a new judge's count (default 10).
    pub matches_before_local: u32,
    /// Matches after a local tournament before the regional one (default 8).
    pub matches_before_regional: u32,
    /// Matches after a regional tournament before the global one (default 8).
    pub matches_before_global: u32,
    /// A state untouched for longer than this starts over at the local count (default 1 h).
    pub idle_reset_after: Duration,
    /// The most matches one response carries (default 10).
    pub max_matches_per_response: u32,
}

impl Default for CadenceConfig {
    fn default() -> Self {
        Self {
            matches_before_local: 10,
            matches_before_regional: 8,
            matches_before_global: 8,
            idle_reset_after: Duration::from_secs(60 * 60),
            max_matches_per_response: 10,
        }
    }
}

impl CadenceConfig {
    /// How many matches come before a tournament of kind `next`.
    pub fn matches_before(&self, next: Scope) -> u32 {
        match next {
            Scope::Local => self.matches_before_local,
            Scope::Regional => self.matches_before_regional,
            Scope::Global => self.matches_before_global,
        }
    }
}

/// A judge's cadence state, stored with the judge (`matches_until_next_tournament`,
/// `next_tournament` and when it was last touched).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CadenceState {
    /// Matches still to be proposed before the next tournament.
    pub matches_until_next_tournament: u32,
    /// The kind of the next tournament.
    pub next_tournament: Scope,
    /// When a response last read or changed this state.
    pub last_touched: Timestamp,
}

/// Options of one request for matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CadenceRequest {
    /// `?reset_tournament_status=true`: start over at the local count.
    pub reset_requested: bool,
}

/// What one response should carry: `n_matches` matches first, then, when `tournament` is
/// set, that tournament (and nothing after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponsePlan {
    /// Matches to propose before the tournament (or in all, without one).
    pub n_matches: u32,
    /// The tournament that is due at the end of this response, if any.
    pub tournament: Option<Scope>,
}

/// What a response actually carried, to advance the state with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedResponse {
    /// Matches the response carried (fewer than planned when the pool ran short; more when
    /// a due tournament was skipped for lack of photos and matches filled its place).
    pub n_matches: u32,
    /// The tournament the response carried, if any.
    pub tournament: Option<Scope>,
}

impl CadenceState {
    /// A new judge's state: the local count, a local tournament next.
    pub fn new_judge(now: Timestamp, config: &CadenceConfig) -> Self {
        Self::fresh(now, config)
    }

    /// Plans a response at `now`, as the first generation did: the response has up to
    /// `max_matches_per_response` slots; before each slot, if the count has reached zero,
    /// the due tournament takes that slot and ends the response. So a count of 10 gives
    /// 10 matches and the tournament alone in the next response, and a count of 8 gives
    /// 8 matches and the tournament in one response.
    ///
    /// Returns the plan and the state it was made from (reset when idle too long or asked);
    /// hand that state to [`CadenceState::after_response`] once the response is built.
    pub fn plan_response(
        &self,
        now: Timestamp,
        request: CadenceRequest,
        config: &CadenceConfig,
    ) -> (ResponsePlan, CadenceState) {
        let idle = now.saturating_duration_since(self.last_touched);
        let state = if request.reset_requested || idle > config.idle_reset_after {
            Self::fresh(now, config)
        } else {
            Self {
                last_touched: now,
                ..*self
            }
        };
        let n_matches = state
            .matches_until_next_tournament
            .min(config.max_matches_per_response);
        let tournament =
            (n_matches < config.max_matches_per_response).then_some(state.next_tournament);
        (
            ResponsePlan {
                n_matches,
                tournament,
            },
            state,
        )
    }

    /// The state after a response: every match served counts down (never below zero), and
    /// a tournament served moves on to the next kind with its count. A due tournament that
    /// was skipped (fewer than 16 eligible photos) stays due, so it comes as soon as the
    /// pool allows.
    pub fn after_response(
        &self,
        served: ServedResponse,
        now: Timestamp,
        config: &CadenceConfig,
    ) -> CadenceState {
        let counted_down = self
            .matches_until_next_tournament
            .saturating_sub(served.n_matches);
        let Some(kind) = served.tournament else {
            return Self {
                matches_until_next_tournament: counted_down,
                next_tournament: self.next_tournament,
                last_touched: now,
            };
        };
        let next_tournament = match kind {
            Scope::Local => Scope::Regional,
            Scope::Regional => Scope::Global,
            Scope::Global => Scope::Local,
        };
        Self {
            matches_until_next_tournament: config.matches_before(next_tournament),
            next_tournament,
            last_touched: now,
        }
    }

    fn fresh(now: Timestamp, config: &CadenceConfig) -> Self {
        Self {
            matches_until_next_tournament: config.matches_before_local,
            next_tournament: Scope::Local,
            last_touched: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves every plan in full and returns what each response carried.
    fn serve(
        state: &mut CadenceState,
        now: Timestamp,
        request: CadenceRequest,
        config: &CadenceConfig,
    ) -> (u32, Option<Scope>) {
        let (plan, planned_from) = state.plan_response(now, request, config);
        let served = ServedResponse {
            n_matches: plan.n_matches,
            tournament: plan.tournament,
        };
        *state = planned_from.after_response(served, now, config);
        (plan.n_matches, plan.tournament)
    }

    #[test]
    fn first_generation_scenario() {
        let config = CadenceConfig::default();
        let minute = Duration::from_secs(60);
        let mut now = Timestamp::from_millis(0);
        let mut state = CadenceState::new_judge(now, &config);
        let expected = [
            (10, None),
            (0, Some(Scope::Local)),
            (8, Some(Scope::Regional)),
            (8, Some(Scope::Global)),
            (10, None),
            (0, Some(Scope::Local)),
            (8, Some(Scope::Regional)),
        ];
        for (response_idx, expected_response) in expected.into_iter().enumerate() {
            now = now.saturating_add(minute);
            let served = serve(&mut state, now, CadenceRequest::default(), &config);
            assert_eq!(served, expected_response, "response {response_idx}");
        }
        // An explicit reset starts over at 10 matches, local next.
        now = now.saturating_add(minute);
        let reset = CadenceRequest {
            reset_requested: true,
        };
        assert_eq!(serve(&mut state, now, reset, &config), (10, None));
        now = now.saturating_add(minute);
        assert_eq!(
            serve(&mut state, now, CadenceRequest::default(), &config),
            (0, Some(Scope::Local))
        );
    }

    #[test]
    fn idle_for_more_than_an_hour_resets() {
        let config = CadenceConfig::default();
        let start = Timestamp::from_millis(0);
        let state = CadenceState {
            matches_until_next_tournament: 3,
            next_tournament: Scope::Global,
            last_touched: start,
        };
        let hour = Duration::from_secs(3600);
        let cases = [
            (hour, 3, Scope::Global),
            (hour + Duration::from_millis(1), 10, Scope::Local),
            (hour * 5, 10, Scope::Local),
        ];
        for (idle, expected_count, expected_kind) in cases {
            let now = start.saturating_add(idle);
            let (_, planned_from) = state.plan_response(now, CadenceRequest::default(), &config);
            assert_eq!(
                planned_from.matches_until_next_tournament, expected_count,
                "{idle:?}"
            );
            assert_eq!(planned_from.next_tournament, expected_kind);
            assert_eq!(planned_from.last_touched, now);
        }
    }

    #[test]
    fn a_skipped_tournament_stays_due_while_matches_continue() {
        let config = CadenceConfig::default();
        let now = Timestamp::from_millis(0);
        let due = CadenceState {
            matches_until_next_tournament: 0,
            next_tournament: Scope::Regional,
            last_touched: now,
        };
        let (plan, planned_from) = due.plan_response(now, CadenceRequest::default(), &config);
        assert_eq!(
            plan,
            ResponsePlan {
                n_matches: 0,
                tournament: Some(Scope::Regional)
            }
        );
        // Too few photos: the host serves 10 matches instead.
        let skipped = ServedResponse {
            n_matches: 10,
            tournament: None,
        };
        let after = planned_from.after_response(skipped, now, &config);
        assert_eq!(after.matches_until_next_tournament, 0);
        assert_eq!(after.next_tournament, Scope::Regional);
    }

    #[test]
    fn every_number_comes_from_the_config() {
        let config = CadenceConfig {
            matches_before_local: 3,
            matches_before_regional: 2,
            matches_before_global: 25,
            idle_reset_after: Duration::from_secs(60),
            max_matches_per_response: 4,
        };
        let mut now = Timestamp::from_millis(0);
        let mut state = CadenceState::new_judge(now, &config);
        let expected = [
            (3, Some(Scope::Local)),
            (2, Some(Scope::Regional)),
            (4, None),
            (4, None),
            (4, None),
            (4, None),
            (4, None),
            (4, None),
            (1, Some(Scope::Global)),
        ];
        for (response_idx, expected_response) in expected.into_iter().enumerate() {
            now = now.saturating_add(Duration::from_secs(1));
            let served = serve(&mut state, now, CadenceRequest::default(), &config);
            assert_eq!(served, expected_response, "response {response_idx}");
        }
    }
}
