//! Rate limits on the requests that create things (sign-ups, votes, comments, flags,
//! uploads), per client address and per signed-in user, as `[app.rate_limits]` sets them:
//! a GCRA token bucket per key (the `governor` crate), a request over it refused with 429,
//! `Retry-After` in whole seconds and the limit's name in the body's `field`.
//!
//! A route checks its address limit first ([`within_address_limit`], before anything is
//! read or authenticated, so a flood costs little), then its user limit right after the
//! credentials ([`authenticated_within`]). The address is the one flags record
//! ([`crate::filters::client_address`]); IPv6 addresses count per /64 network, the block one
//! subscriber usually gets, so rotating addresses within it gains nothing.
//!
//! Memory stays bounded: every [`HOUSEKEEPING_EVERY`] checks a limiter drops the keys whose
//! bucket has refilled (indistinguishable from a new key) once [`SWEEP_EVERY`] has passed or
//! when it holds more than [`MAX_KEYS`]; if it still holds more (that many keys all active
//! at once), it starts over empty, forgetting every bucket, and logs a warning. So each
//! limiter holds at most about `MAX_KEYS` + `HOUSEKEEPING_EVERY` keys.
//!
//! Time is the limiters' own [`LimitClock`] (monotonic), which a black-box test moves ahead
//! to see a limit pass again without sleeping.

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use anyhow::bail;
use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use tourney_core::UserId;
use tourney_wiring::RateLimitSettings;
use warp::{Filter, Rejection};

use crate::AppState;
use crate::auth::authenticated;
use crate::error::ApiError;
use crate::filters::client_address;

/// Checks between two looks at a limiter's size and age.
pub const HOUSEKEEPING_EVERY: u64 = 256;
/// How often a limiter drops the keys whose bucket has refilled.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// The most keys a limiter keeps before it forgets them all (a few dozen bytes each).
pub const MAX_KEYS: usize = 100_000;

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `POST /v1/users` (per address only: the caller has no user yet).
    SignUp,
    /// Votes on matches and tournament reports.
    Votes,
    /// New comments.
    Comments,
    /// Flags on users, photos and comments.
    Flags,
    /// `POST /v1/photos` and `POST /v1/photos/{photo_id}/uploaded`.
    Uploads,
}

impl Action {
    /// Every action, in [`Action::index`] order.
    pub const ALL: [Action; 5] = [
        Action::SignUp,
        Action::Votes,
        Action::Comments,
        Action::Flags,
        Action::Uploads,
    ];

    /// The action's name in the settings' keys (`votes` in `votes_user_per_minute`).
    pub fn name(self) -> &'static str {
        match self {
            Action::SignUp => "sign_up",
            Action::Votes => "votes",
            Action::Comments => "comments",
            Action::Flags => "flags",
            Action::Uploads => "uploads",
        }
    }

    /// What it counts, in a refusal's message.
    fn noun(self) -> &'static str {
        match self {
            Action::SignUp => "sign-ups",
            Action::Votes => "votes",
            Action::Comments => "comments",
            Action::Flags => "flags",
            Action::Uploads => "upload requests",
        }
    }

    fn index(self) -> usize {
        match self {
            Action::SignUp => 0,
            Action::Votes => 1,
            Action::Comments => 2,
            Action::Flags => 3,
            Action::Uploads => 4,
        }
    }
}

/// The routes that count against a limit (method, path template as in the OpenAPI
/// document, action): the document lists 429 for exactly these.
pub static LIMITED_ROUTES: &[(&str, &str, Action)] = &[
    ("POST", "/v1/users", Action::SignUp),
    ("PUT", "/v1/users/me/matches/{id}", Action::Votes),
    (
        "PUT",
        "/v1/users/me/tournaments/{tournament_id}",
        Action::Votes,
    ),
    ("POST", "/v1/photos/{photo_id}/comments", Action::Comments),
    ("POST", "/v1/users/{user_id}/flags", Action::Flags),
    ("POST", "/v1/photos/{photo_id}/flags", Action::Flags),
    (
        "POST",
        "/v1/photo_comments/{comment_id}/flags",
        Action::Flags,
    ),
    ("POST", "/v1/photos", Action::Uploads),
    ("POST", "/v1/photos/{photo_id}/uploaded", Action::Uploads),
];

/// Who a limit counts per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The client address.
    Address,
    /// The signed-in user.
    User,
}

/// The name of `action`'s limit per `scope`, as the settings' keys begin (`votes_user`).
fn limit_name(action: Action, scope: Scope) -> &'static str {
    match (action, scope) {
        (Action::SignUp, _) => "sign_up_ip",
        (Action::Votes, Scope::Address) => "votes_ip",
        (Action::Votes, Scope::User) => "votes_user",
        (Action::Comments, Scope::Address) => "comments_ip",
        (Action::Comments, Scope::User) => "comments_user",
        (Action::Flags, Scope::Address) => "flags_ip",
        (Action::Flags, Scope::User) => "flags_user",
        (Action::Uploads, Scope::Address) => "uploads_ip",
        (Action::Uploads, Scope::User) => "uploads_user",
    }
}

/// One limit as configured: a bucket of `burst` requests refilled at `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rate {
    per_minute: u32,
    burst: u32,
}

/// The limiters' clock: monotonic time since it was made, plus the time
/// [`LimitClock::advance`] skipped. Its clones share the skipped time, so a black-box test
/// can move a running server's limits past a wait instead of sleeping through it.
#[derive(Debug, Clone)]
pub struct LimitClock {
    started: Instant,
    skipped_nanos: Arc<AtomicU64>,
}

impl LimitClock {
    /// A clock at zero.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            skipped_nanos: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Moves this clock and its clones `by` ahead.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.skipped_nanos.fetch_add(nanos, Ordering::SeqCst);
    }
}

impl Default for LimitClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for LimitClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let skipped = Duration::from_nanos(self.skipped_nanos.load(Ordering::SeqCst));
        Nanos::from(self.started.elapsed().saturating_add(skipped))
    }
}

/// Every limiter of the server, by action and scope; a limit turned off has none.
#[derive(Debug)]
pub struct RateLimits<C: Clock + Clone = LimitClock> {
    /// Per action, by [`Action::index`].
    by_action: [ActionLimits<C>; 5],
    clock: C,
}

/// One action's limiters; `None` for a limit turned off.
#[derive(Debug)]
struct ActionLimits<C: Clock + Clone> {
    address: Option<Keyed<AddressKey, C>>,
    user: Option<Keyed<UserId, C>>,
}

impl RateLimits {
    /// The limiters `settings` configure, on a fresh [`LimitClock`]. Refuses a limit with
    /// a rate but no burst, naming its key.
    pub fn new(settings: &RateLimitSettings) -> anyhow::Result<Self> {
        Self::with_clock(settings, &LimitClock::new())
    }
}

impl<C: Clock + Clone> RateLimits<C> {
    /// [`RateLimits::new`] on `clock` (tests pass a fake one).
    pub fn with_clock(settings: &RateLimitSettings, clock: &C) -> anyhow::Result<Self> {
        let mut by_action = Action::ALL.map(|_| ActionLimits {
            address: None,
            user: None,
        });
        for action in Action::ALL {
            let (address_rate, user_rate) = configured(settings, action)?;
            let on = |rate: Option<Rate>| rate.filter(|_| settings.enabled);
            by_action[action.index()] = ActionLimits {
                address: on(address_rate)
                    .map(|rate| Keyed::new(action, Scope::Address, rate, clock)),
                user: on(user_rate).map(|rate| Keyed::new(action, Scope::User, rate, clock)),
            };
        }
        Ok(Self {
            by_action,
            clock: clock.clone(),
        })
    }

    /// The limiters' clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Counts a request of `action` from the client `address` (as
    /// [`crate::filters::client_address`] gives it); a 429 when over the limit.
    pub fn check_address(&self, action: Action, address: &str) -> Result<(), ApiError> {
        match &self.by_action[action.index()].address {
            Some(limiter) => limiter.check(&address_key(address)),
            None => Ok(()),
        }
    }

    /// Counts a request of `action` from `user`; a 429 when over the limit.
    pub fn check_user(&self, action: Action, user: UserId) -> Result<(), ApiError> {
        match &self.by_action[action.index()].user {
            Some(limiter) => limiter.check(&user),
            None => Ok(()),
        }
    }

    /// How many keys the limiters hold in all (each at most about [`MAX_KEYS`]).
    pub fn n_keys(&self) -> usize {
        self.by_action
            .iter()
            .map(|limits| {
                let address = limits.address.as_ref().map_or(0, Keyed::n_keys);
                address + limits.user.as_ref().map_or(0, Keyed::n_keys)
            })
            .sum()
    }
}

/// The address limit of `state` for `action`: passes, or rejects with 429. Put it right
/// after the route's path and method.
pub(crate) fn within_address_limit(
    state: &AppState,
    action: Action,
) -> impl Filter<Extract = (), Error = Rejection> + Clone + use<> {
    let limits = Arc::clone(&state.rate_limits);
    client_address(state.settings.app.trusted_forwarded_entries())
        .and_then(move |address: String| {
            let checked = limits.check_address(action, &address);
            async move { checked.map_err(ApiError::reject) }
        })
        .untuple_one()
}

/// The authenticated user (see [`authenticated`]), rejected with 429 when over `action`'s
/// per-user limit.
pub(crate) fn authenticated_within(
    state: AppState,
    action: Action,
) -> impl Filter<Extract = (UserId,), Error = Rejection> + Clone {
    let limits = Arc::clone(&state.rate_limits);
    authenticated(state).and_then(move |user: UserId| {
        let checked = limits.check_user(action, user);
        async move { checked.map(|()| user).map_err(ApiError::reject) }
    })
}

/// The (address, user) rates `settings` give `action`; `None` for a limit turned off.
fn configured(
    settings: &RateLimitSettings,
    action: Action,
) -> anyhow::Result<(Option<Rate>, Option<Rate>)> {
    let s = settings;
    let ((ip_per_minute, ip_burst), user) = match action {
        Action::SignUp => ((s.sign_up_ip_per_minute, s.sign_up_ip_burst), None),
        Action::Votes => (
            (s.votes_ip_per_minute, s.votes_ip_burst),
            Some((s.votes_user_per_minute, s.votes_user_burst)),
        ),
        Action::Comments => (
            (s.comments_ip_per_minute, s.comments_ip_burst),
            Some((s.comments_user_per_minute, s.comments_user_burst)),
        ),
        Action::Flags => (
            (s.flags_ip_per_minute, s.flags_ip_burst),
            Some((s.flags_user_per_minute, s.flags_user_burst)),
        ),
        Action::Uploads => (
            (s.uploads_ip_per_minute, s.uploads_ip_burst),
            Some((s.uploads_user_per_minute, s.uploads_user_burst)),
        ),
    };
    let rate = |scope: &str, per_minute: u32, burst: u32| -> anyhow::Result<Option<Rate>> {
        if per_minute == 0 {
            return Ok(None);
        }
        if burst == 0 {
            bail!(
                "app.rate_limits.{}_{scope}_burst: must be at least 1 while {}_{scope}_per_minute is set (0 turns the limit off)",
                action.name(),
                action.name()
            );
        }
        Ok(Some(Rate { per_minute, burst }))
    };
    let user = match user {
        Some((per_minute, burst)) => rate("user", per_minute, burst)?,
        None => None,
    };
    Ok((rate("ip", ip_per_minute, ip_burst)?, user))
}

/// A client address as a limiter key: an IPv4 address (as its IPv4-mapped IPv6 form), or
/// an IPv6 address's /64 network; 0 (the unspecified address) for text that is no address.
type AddressKey = u128;

/// The key of `address` (an IP, or an IP with a port).
fn address_key(address: &str) -> AddressKey {
    let ip = address
        .parse::<IpAddr>()
        .or_else(|_| address.parse::<SocketAddr>().map(|socket| socket.ip()));
    match ip {
        Ok(IpAddr::V4(v4)) => u128::from(v4.to_ipv6_mapped()),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => u128::from(v4.to_ipv6_mapped()),
            None => u128::from(v6) & !u128::from(u64::MAX),
        },
        Err(_) => 0,
    }
}

type KeyedLimiter<K, C> =
    RateLimiter<K, HashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// One limit over keys of type `K`, with its housekeeping.
struct Keyed<K: Hash + Eq + Clone, C: Clock + Clone> {
    /// `votes_user`: names the limit in answers (the body's `field`).
    name: &'static str,
    /// What a refusal says, up to the retry time: "too many votes from this user: ...".
    message: String,
    quota: Quota,
    clock: C,
    /// Replaced whole (under the write lock) when it holds too many keys.
    limiter: RwLock<KeyedLimiter<K, C>>,
    n_checks: AtomicU64,
    last_sweep: Mutex<C::Instant>,
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> std::fmt::Debug for Keyed<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyed")
            .field("name", &self.name)
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> Keyed<K, C> {
    fn new(action: Action, scope: Scope, rate: Rate, clock: &C) -> Self {
        let who = match scope {
            Scope::Address => "address",
            Scope::User => "user",
        };
        let quota = quota_of(rate);
        Self {
            name: limit_name(action, scope),
            message: format!(
                "too many {} from this {who}: at most {} a minute, {} at once",
                action.noun(),
                rate.per_minute,
                rate.burst
            ),
            quota,
            clock: clock.clone(),
            limiter: RwLock::new(RateLimiter::hashmap_with_clock(quota, clock.clone())),
            n_checks: AtomicU64::new(0),
            last_sweep: Mutex::new(clock.now()),
        }
    }

    /// Counts one request of `key`; a 429 naming this limit when its bucket is empty.
    fn check(&self, key: &K) -> Result<(), ApiError> {
        if self.n_checks.fetch_add(1, Ordering::Relaxed) % HOUSEKEEPING_EVERY
            == HOUSEKEEPING_EVERY - 1
        {
            self.housekeeping();
        }
        let refused = {
            let limiter = self.limiter.read().unwrap_or_else(PoisonError::into_inner);
            match limiter.check_key(key) {
                Ok(()) => return Ok(()),
                Err(not_until) => not_until,
            }
        };
        let wait = refused.wait_time_from(self.clock.now());
        let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let retry_after_secs = retry_after_secs.max(1);
        Err(ApiError::too_many_requests(
            self.name,
            format!("{}; retry in {retry_after_secs} s", self.message),
            retry_after_secs,
        ))
    }

    /// Drops the refilled keys when due or when over [`MAX_KEYS`]; starts over when still
    /// over.
    fn housekeeping(&self) {
        let now = self.clock.now();
        let n_keys = self.n_keys();
        {
            let mut last_sweep = self
                .last_sweep
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let since_sweep = Duration::from(now.duration_since(*last_sweep));
            if since_sweep < SWEEP_EVERY && n_keys <= MAX_KEYS {
                return;
            }
            *last_sweep = now;
        }
        let n_left = {
            let limiter = self.limiter.read().unwrap_or_else(PoisonError::into_inner);
            limiter.retain_recent();
            limiter.shrink_to_fit();
            limiter.len()
        };
        if n_left > MAX_KEYS {
            tracing::warn!(
                limit = self.name,
                n_keys = n_left,
                max_keys = MAX_KEYS,
                "rate limiter over its key limit with every key active: starting it over empty"
            );
            let fresh = RateLimiter::hashmap_with_clock(self.quota, self.clock.clone());
            *self.limiter.write().unwrap_or_else(PoisonError::into_inner) = fresh;
        }
    }

    fn n_keys(&self) -> usize {
        self.limiter
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// The governor quota of `rate`: one request back every minute / `per_minute`, at most
/// `burst` at once.
fn quota_of(rate: Rate) -> Quota {
    let one_per = Duration::from_secs(60) / rate.per_minute.max(1);
    let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(one_per)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
        .allow_burst(burst)
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn user(n: u128) -> UserId {
        UserId::parse(&format!("{n:032x}")).expect("a user id")
    }

    /// Votes limited to 60 a minute (one a second), 3 at once, per user and per address;
    /// everything else off.
    fn votes_only() -> RateLimitSettings {
        let mut settings = RateLimitSettings {
            enabled: true,
            sign_up_ip_per_minute: 0,
            comments_ip_per_minute: 0,
            comments_user_per_minute: 0,
            flags_ip_per_minute: 0,
            flags_user_per_minute: 0,
            uploads_ip_per_minute: 0,
            uploads_user_per_minute: 0,
            ..RateLimitSettings::default()
        };
        settings.votes_user_per_minute = 60;
        settings.votes_user_burst = 3;
        settings.votes_ip_per_minute = 60;
        settings.votes_ip_burst = 5;
        settings
    }

    #[test]
    fn a_bucket_empties_after_its_burst_and_refills_at_its_rate() {
        let clock = FakeRelativeClock::default();
        let limits = RateLimits::with_clock(&votes_only(), &clock).expect("valid");
        for n in 0..3 {
            assert!(
                limits.check_user(Action::Votes, user(1)).is_ok(),
                "vote {n}"
            );
        }
        let refused = limits
            .check_user(Action::Votes, user(1))
            .expect_err("over the burst");
        assert_eq!(refused.status().as_u16(), 429);
        assert_eq!(refused.field(), Some("votes_user"));
        assert!(
            matches!(
                refused,
                ApiError::TooManyRequests {
                    retry_after_secs: 1,
                    ..
                }
            ),
            "{refused:?}"
        );
        assert!(
            refused
                .to_string()
                .contains("at most 60 a minute, 3 at once")
        );
        assert!(
            limits.check_user(Action::Votes, user(2)).is_ok(),
            "another user has a bucket of their own"
        );
        assert!(
            limits.check_user(Action::Comments, user(1)).is_ok(),
            "comments are not limited here"
        );
        clock.advance(Duration::from_millis(999));
        assert!(limits.check_user(Action::Votes, user(1)).is_err());
        clock.advance(Duration::from_millis(1));
        assert!(
            limits.check_user(Action::Votes, user(1)).is_ok(),
            "refilled"
        );
        assert!(limits.check_user(Action::Votes, user(1)).is_err());
    }

    #[test]
    fn retry_after_rounds_the_wait_up_to_whole_seconds() {
        let clock = FakeRelativeClock::default();
        let mut settings = votes_only();
        settings.votes_user_per_minute = 6; // one every 10 s
        settings.votes_user_burst = 1;
        let limits = RateLimits::with_clock(&settings, &clock).expect("valid");
        assert!(limits.check_user(Action::Votes, user(1)).is_ok());
        clock.advance(Duration::from_millis(2_500));
        let refused = limits
            .check_user(Action::Votes, user(1))
            .expect_err("empty");
        assert!(
            matches!(
                refused,
                ApiError::TooManyRequests {
                    retry_after_secs: 8,
                    ..
                }
            ),
            "7.5 s left: {refused:?}"
        );
    }

    #[test]
    fn addresses_share_a_bucket_per_ipv4_address_and_per_ipv6_64() {
        let clock = FakeRelativeClock::default();
        let limits = RateLimits::with_clock(&votes_only(), &clock).expect("valid");
        let same_client = [
            "203.0.113.7",
            "203.0.113.7:5555",
            "::ffff:203.0.113.7",
            "203.0.113.7",
            "203.0.113.7",
        ];
        for address in same_client {
            assert!(
                limits.check_address(Action::Votes, address).is_ok(),
                "{address}"
            );
        }
        let refused = limits
            .check_address(Action::Votes, "203.0.113.7")
            .expect_err("five at once");
        assert_eq!(refused.field(), Some("votes_ip"));
        assert!(limits.check_address(Action::Votes, "203.0.113.8").is_ok());

        for n in 0..5 {
            let address = format!("2001:db8:1:2::{n:x}");
            assert!(limits.check_address(Action::Votes, &address).is_ok());
        }
        assert!(
            limits
                .check_address(Action::Votes, "[2001:db8:1:2:ffff::1]:443")
                .is_err(),
            "the same /64"
        );
        assert!(
            limits
                .check_address(Action::Votes, "2001:db8:1:3::1")
                .is_ok()
        );
        assert_eq!(address_key("not an address"), address_key(""));
    }

    #[test]
    fn disabled_or_zero_rates_limit_nothing_and_a_rate_without_burst_is_refused() {
        let clock = FakeRelativeClock::default();
        let off = RateLimitSettings {
            enabled: false,
            ..votes_only()
        };
        let limits = RateLimits::with_clock(&off, &clock).expect("valid");
        for _ in 0..100 {
            assert!(limits.check_user(Action::Votes, user(1)).is_ok());
            assert!(limits.check_address(Action::SignUp, "203.0.113.7").is_ok());
        }
        assert_eq!(limits.n_keys(), 0);

        let no_burst = RateLimitSettings {
            comments_user_per_minute: 5,
            comments_user_burst: 0,
            ..votes_only()
        };
        let error = RateLimits::with_clock(&no_burst, &clock).expect_err("no burst");
        assert!(
            error
                .to_string()
                .starts_with("app.rate_limits.comments_user_burst: must be at least 1"),
            "{error}"
        );
    }

    #[test]
    fn housekeeping_forgets_refilled_keys_and_bounds_the_map() {
        let clock = FakeRelativeClock::default();
        let limits = RateLimits::with_clock(&votes_only(), &clock).expect("valid");
        let n_users = u128::from(HOUSEKEEPING_EVERY) * 4;
        for n in 0..n_users {
            assert!(limits.check_user(Action::Votes, user(n)).is_ok());
        }
        assert_eq!(limits.n_keys(), 1024, "one key per user, nobody swept yet");
        // Past the sweep interval (and the buckets' refill time), the next housekeeping
        // drops every refilled bucket: one user's requests bring it round.
        clock.advance(SWEEP_EVERY);
        let last = user(n_users);
        for _ in 0..HOUSEKEEPING_EVERY {
            let _refused_past_the_burst = limits.check_user(Action::Votes, last);
        }
        assert_eq!(limits.n_keys(), 1, "only the active user is left");

        // Past MAX_KEYS keys all active at once, the limiter starts over empty.
        let n_flood = u32::try_from(MAX_KEYS).expect("small") + 2 * HOUSEKEEPING_EVERY as u32;
        for n in 0..n_flood {
            let address = std::net::Ipv4Addr::from(0x0a00_0000 + n).to_string();
            assert!(limits.check_address(Action::Votes, &address).is_ok());
        }
        assert!(
            limits.n_keys() < 2 * HOUSEKEEPING_EVERY as usize,
            "{} keys after a flood",
            limits.n_keys()
        );
    }
}
