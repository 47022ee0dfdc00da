//! Match proposal: up to ten pairs for one judge from the candidate photos of their pool,
//! under the spec's constraints, chosen at random or by expected information.
//!
//! The pairs of a tier (unseen, then seen) are ordered by an exponential race (`race`): each
//! pair arrives after an exponential time of its rate (1 for `random`, weight^focus for
//! `informative`), which draws them without replacement with probability proportional to
//! the rate. When a pass that skips photos already in the response is sure to fill it (a
//! large pool: the usual case), only the first arrivals among the pairs still free are
//! found, in about `n` cheap steps and a few dozen random draws; otherwise the whole tier
//! is ordered. When the judge's history and own photos are too small to keep such a pass
//! from filling, even the `n` steps are skipped: each pick is drawn from the pool's running
//! totals of rates by binary search, again until it is an unseen pair of free photos. All
//! give the same distribution (the tests compare them).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use glicko2::Rating;
use rand::{Rng, RngExt};

use crate::error::Error;
use crate::ids::{MatchId, PhotoId, UserId};
use crate::named::wire_names;
use crate::pool::MediaType;

/// How pairs are chosen among the allowed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairingStrategy {
    /// Uniformly at random (the first generation).
    Random,
    /// At random, weighted towards pairs whose vote teaches the board the most: close
    /// ratings and high RD ([`misorder_probability`]), first among the photos that may
    /// belong in the board's top (see [`PairingConfig::informative_top_k`]).
    ///
    /// Fair to weak photos in three ways: new photos still come first (cold start), a
    /// photo with a high RD may always reach the top and is weighed fully, and an idle
    /// photo's RD grows with time (see [`crate::PhotoRating::aged_to`]) until it is
    /// proposed again. What it saves: in `benches`' `pairing-quality` simulation it needs
    /// about a third of `random`'s votes on average (a quarter at the median) to get a
    /// board's top 10 right.
    Informative,
}

wire_names!(PairingStrategy, "strategy", [Random => "random", Informative => "informative"]);

/// How matches are proposed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairingConfig {
    /// Which strategy chooses among allowed pairs (default `informative`).
    pub strategy: PairingStrategy,
    /// Most matches in one response (default 10).
    pub max_matches: usize,
    /// A photo with fewer games than this is "new" and its pairs are proposed first
    /// (default 5).
    pub cold_start_games: u32,
    /// For `informative`: pairs are drawn with probability proportional to their
    /// [`misorder_probability`] raised to this power (default 4; 0 is uniform, large is
    /// greedy). Any finite value keeps randomness, so two judges see different pairs.
    /// Tuned with `benches`' `pairing-quality` report: around 4 does best; 2 or 8 and more
    /// lose part of the gain (too spread, or too many votes on the same few pairs). A pair
    /// whose weight^focus is below 1e-300 of the largest in its pool counts as 1e-300 of it.
    pub informative_focus: f64,
    /// For `informative`: the size of the board's top that votes should settle first
    /// (default 10, what a board's first screen shows; 0 weighs every rank alike). A pair
    /// counts fully when one of its photos may belong in the top (its rating, give or take
    /// its RD, reaches the current k-th best rating), and `informative_floor` otherwise.
    pub informative_top_k: usize,
    /// For `informative`: the weight, from 0 to 1, of a pair neither of whose photos can
    /// plausibly reach the top (default 0.1): such pairs still get votes, less often.
    pub informative_floor: f64,
}

impl Default for PairingConfig {
    fn default() -> Self {
        Self {
            strategy: PairingStrategy::Informative,
            max_matches: 10,
            cold_start_games: 5,
            informative_focus: 4.0,
            informative_top_k: 10,
            informative_floor: 0.1,
        }
    }
}

/// A ready photo of the judge's pool, as pairing needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairingCandidate {
    /// The photo.
    pub photo_id: PhotoId,
    /// Its owner (never paired with another photo of the same owner, never shown to them).
    pub owner: UserId,
    /// Photo or movie (the two never meet).
    pub media_type: MediaType,
    /// Its current rating, RD aged to now ([`crate::PhotoRating::aged_to`]).
    pub rating: Rating,
    /// Games played so far (wins + losses), for cold-start priority.
    pub n_games: u32,
}

/// What a judge has already been shown and has already judged, as match ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JudgeHistory {
    /// Every pair ever proposed to the judge (judged or not).
    pub proposed: HashSet<MatchId>,
    /// The pairs the judge has voted on; never proposed again.
    pub judged: HashSet<MatchId>,
}

/// What a judge has been shown, as pairing reads it: a [`JudgeHistory`], or a caller's
/// own record of the matches it showed (so it need not build one for each request).
pub trait ShownPairs {
    /// How many entries [`ShownPairs::each_shown`] visits.
    fn n_shown(&self) -> usize;
    /// Visits every shown pair with whether the judge judged it; a pair visited more than
    /// once counts as judged if any visit says so.
    fn each_shown(&self, visit: &mut dyn FnMut(MatchId, bool));
    /// Whether `match_id` was shown (`Some`), and judged (`Some(true)`).
    fn shown(&self, match_id: MatchId) -> Option<bool>;
}

impl ShownPairs for JudgeHistory {
    fn n_shown(&self) -> usize {
        self.proposed.len() + self.judged.len()
    }

    fn each_shown(&self, visit: &mut dyn FnMut(MatchId, bool)) {
        for match_id in &self.proposed {
            visit(*match_id, false);
        }
        for match_id in &self.judged {
            visit(*match_id, true);
        }
    }

    fn shown(&self, match_id: MatchId) -> Option<bool> {
        if self.judged.contains(&match_id) {
            Some(true)
        } else {
            self.proposed.contains(&match_id).then_some(false)
        }
    }
}

/// One request for matches.
#[derive(Debug, Clone, Copy)]
pub struct PairingRequest<'a> {
    /// Who will judge.
    pub judge: UserId,
    /// The pool's ready photos (the newest N of the judge's view category and place).
    pub candidates: &'a [PairingCandidate],
    /// What the judge has seen and judged.
    pub history: &'a JudgeHistory,
    /// Only propose pairs containing this photo (`GET /v1/users/me/matches/{photo_id}`).
    pub must_include: Option<PhotoId>,
}

/// A proposed match, with the screen sides already drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProposedMatch {
    /// The pair's id (sides do not matter to it).
    pub match_id: MatchId,
    /// The photo to show on the left.
    pub left: PhotoId,
    /// The photo to show on the right.
    pub right: PhotoId,
    /// The judge was shown this pair before (offered only once unseen pairs ran out).
    pub seen_before: bool,
}

/// Proposes up to `config.max_matches` matches for `request.judge`.
///
/// The rules, all of them hard:
/// - never a photo of the judge, never two photos of one owner, never a photo with a movie;
/// - never a pair the judge has judged; a pair the judge was shown but did not judge only
///   once every unseen allowed pair is in this response or was shown before;
/// - no pair twice in one response; a photo appears at most once per response while other
///   pairs allow it (fair exposure, and no judge sees one photo ten times);
/// - pairs with a photo that has played fewer than `cold_start_games` come first (new
///   photos get exposure from other judges, never from their owner);
/// - left and right are drawn at random for each match.
///
/// Errors: [`Error::NotEnoughPhotos`] when fewer than two photos could form any allowed
/// pair; [`Error::NoUniqueMatches`] when every allowed pair has been judged.
///
/// Many judges drawing from one pool should share a [`PairingPool`], which this builds for
/// each call.
pub fn propose_matches(
    request: &PairingRequest<'_>,
    config: &PairingConfig,
    rng: &mut (impl Rng + ?Sized),
) -> Result<Vec<ProposedMatch>, Error> {
    PairingPool::new(request.candidates, config).propose(
        request.judge,
        request.history,
        request.must_include,
        config.max_matches,
        rng,
    )
}

/// A pool's candidates prepared for [`propose_matches`]' draws, once for every judge who
/// asks while the pool and its ratings stand: the pairs any judge may be shown (owners
/// differ, same media type) with each pair's rate in the strategy's draw. Weighing a pool
/// of 200 photos means 19,900 pairs, each with an exponential; a request then only sets
/// aside the judge's own photos and history. For `informative`, the top a pair may reach
/// is the pool's top, the judge's own photos included.
///
/// ```
/// use glicko2::Rating;
/// use rand::SeedableRng;
/// use rand::rngs::SmallRng;
/// use tourney_core::{
///     JudgeHistory, MediaType, PairingCandidate, PairingConfig, PairingPool, PhotoId, UserId,
/// };
///
/// let candidates: Vec<PairingCandidate> = (1..=6)
///     .map(|n| PairingCandidate {
///         photo_id: PhotoId::from_u128(n),
///         owner: UserId::from_u128(n),
///         media_type: MediaType::Photo,
///         rating: Rating::default(),
///         n_games: 10,
///     })
///     .collect();
/// let pool = PairingPool::new(&candidates, &PairingConfig::default());
/// let mut rng = SmallRng::seed_from_u64(1);
/// let history = JudgeHistory::default();
/// // Judge 6 owns photo 6: three matches among the other five photos.
/// let matches = pool.propose(UserId::from_u128(6), &history, None, 3, &mut rng)?;
/// assert_eq!(matches.len(), 2 + 1);
/// assert!(matches.iter().all(|m| m.left != PhotoId::from_u128(6) && m.right != PhotoId::from_u128(6)));
/// # Ok::<(), tourney_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PairingPool {
    /// The candidates, each photo once (its first occurrence).
    candidates: Vec<PairingCandidate>,
    index_of: HashMap<PhotoId, u32>,
    /// Every pair of candidates of different owners and one media type, in pool order,
    /// with its rate (relative to the pool's largest).
    pairs: Vec<ScoredPair>,
    /// How many pairs each candidate is in.
    degrees: Vec<u32>,
    /// The most pairs any one photo is in.
    max_degree: u64,
    /// The pairs with a new photo, then the others, each with its rates' running total,
    /// for draws in proportion to the rate ([`PairingPool::sample_unseen`]).
    by_coldness: [RateTable; 2],
}

impl PairingPool {
    /// Prepares `candidates` for draws under `config` (its `max_matches` aside: each
    /// request says how many it wants).
    #[must_use]
    pub fn new(candidates: &[PairingCandidate], config: &PairingConfig) -> Self {
        let mut index_of = HashMap::with_capacity(candidates.len());
        let mut kept = Vec::with_capacity(candidates.len());
        for candidate in candidates {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                index_of.entry(candidate.photo_id)
            {
                slot.insert(kept.len() as u32);
                kept.push(*candidate);
            }
        }
        let n_photos = kept.len();
        let mut pairs = Vec::with_capacity(n_photos * n_photos.saturating_sub(1) / 2);
        for (first_idx, first) in kept.iter().enumerate() {
            for (second_idx, second) in kept.iter().enumerate().skip(first_idx + 1) {
                if first.owner == second.owner || first.media_type != second.media_type {
                    continue;
                }
                pairs.push(ScoredPair {
                    first_idx: first_idx as u32,
                    second_idx: second_idx as u32,
                    is_cold: first.n_games < config.cold_start_games
                        || second.n_games < config.cold_start_games,
                    rate: 1.0,
                    time: 0.0,
                });
            }
        }
        Rates::new(&kept, config).assign(&mut pairs);
        let mut degrees = vec![0_u32; n_photos];
        let mut by_coldness: [RateTable; 2] = Default::default();
        for (pair_idx, pair) in pairs.iter().enumerate() {
            degrees[pair.first_idx as usize] += 1;
            degrees[pair.second_idx as usize] += 1;
            by_coldness[usize::from(!pair.is_cold)].push(pair_idx as u32, pair.rate);
        }
        Self {
            candidates: kept,
            index_of,
            pairs,
            max_degree: degrees.iter().copied().max().map_or(0, u64::from),
            degrees,
            by_coldness,
        }
    }

    /// The candidates, each photo once, in the order given.
    #[must_use]
    pub fn candidates(&self) -> &[PairingCandidate] {
        &self.candidates
    }

    /// Up to `max_matches` matches for `judge`, who has seen and judged `history`; only
    /// pairs with `must_include` when given. The rules and errors of [`propose_matches`].
    pub fn propose(
        &self,
        judge: UserId,
        history: &(impl ShownPairs + ?Sized),
        must_include: Option<PhotoId>,
        max_matches: usize,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Vec<ProposedMatch>, Error> {
        let request = PoolRequest {
            judge,
            history,
            must_include,
            max_matches,
        };
        self.propose_drawing(
            &request,
            DrawOptions {
                race_when_it_fills: true,
                sample_when_sure: true,
            },
            rng,
        )
    }

    fn propose_drawing(
        &self,
        request: &PoolRequest<'_, impl ShownPairs + ?Sized>,
        options: DrawOptions,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Vec<ProposedMatch>, Error> {
        if options.sample_when_sure
            && let Some(chosen) = self.sample_unseen(request, rng)
        {
            return Ok(chosen);
        }
        let candidates = &self.candidates;
        let owned: Vec<bool> = candidates
            .iter()
            .map(|c| c.owner == request.judge)
            .collect();
        let includes_required = |pair: &ScoredPair| {
            request.must_include.is_none_or(|photo_id| {
                candidates[pair.first_idx as usize].photo_id == photo_id
                    || candidates[pair.second_idx as usize].photo_id == photo_id
            })
        };
        let history = HistoryIndex::new(self, request.history);
        let mut n_allowed_pairs = 0;
        let mut pairable = vec![false; candidates.len()];
        // Each tier by coldness, new photos' pairs first: [unseen, seen] x [cold, warm].
        let mut tiers: [[Vec<u32>; 2]; 2] = Default::default();
        tiers[0][1].reserve(self.pairs.len());
        for (pair_idx, pair) in self.pairs.iter().enumerate() {
            let (first_idx, second_idx) = (pair.first_idx as usize, pair.second_idx as usize);
            if owned[first_idx] || owned[second_idx] || !includes_required(pair) {
                continue;
            }
            n_allowed_pairs += 1;
            pairable[first_idx] = true;
            pairable[second_idx] = true;
            let tier = match history.status(first_idx, second_idx) {
                PairStatus::Judged => continue,
                PairStatus::Seen => &mut tiers[1],
                PairStatus::Unseen => &mut tiers[0],
            };
            tier[usize::from(!pair.is_cold)].push(pair_idx as u32);
        }
        let n_pairable = pairable.iter().filter(|is_pairable| **is_pairable).count();
        if n_pairable < 2 {
            return Err(Error::NotEnoughPhotos {
                eligible: n_pairable,
            });
        }
        if tiers.iter().flatten().all(Vec::is_empty) {
            return Err(Error::NoUniqueMatches { n_allowed_pairs });
        }
        let mut picker = Picker::new(candidates, request.max_matches);
        for (tier, seen_before) in tiers.iter().zip([false, true]) {
            if picker.is_full() {
                break;
            }
            let tier_pairs = tier
                .iter()
                .flatten()
                .map(|&pair_idx| &self.pairs[pair_idx as usize]);
            // Before any pick every pair of the tier is free, and no photo is in more than
            // the pool's most pairs: enough to trust a pass without reuse, without counting.
            let n_pairs = tier.iter().map(Vec::len).sum::<usize>() as u64;
            let fills = (picker.chosen.is_empty()
                && Picker::fill_is_sure(n_pairs, self.max_degree, picker.max_matches as u64))
                || picker.fills_without_reuse(tier_pairs.clone());
            if options.race_when_it_fills && fills {
                picker.race_from(&self.pairs, tier, seen_before, rng);
            } else {
                let mut ordered: Vec<ScoredPair> = tier_pairs
                    .map(|pair| ScoredPair {
                        time: race::exponential(rng) / pair.rate,
                        ..*pair
                    })
                    .collect();
                picker.pick_from(&mut ordered, seen_before, rng);
            }
        }
        Ok(picker.chosen)
    }

    /// The response drawn straight from the pool's rate tables, when the pairs the judge's
    /// own photos and history set aside are too few for a pass without reuse over the
    /// unseen pairs to fall short (a large pool and a short history: the usual case). That
    /// pass is then all a draw does: again and again the earliest arrival among the unseen
    /// pairs whose photos are both free, new photos' pairs first, which is a draw in
    /// proportion to the rate among them. Each is found by drawing from all the list's
    /// pairs until one qualifies (a few tries: most do), and after [`SAMPLE_TRIES`] misses
    /// by one race over those that qualify, so no judge's history can make it slow or
    /// wrong. `None`, with `rng` untouched, when the fill is not sure or the request
    /// must include a photo.
    fn sample_unseen(
        &self,
        request: &PoolRequest<'_, impl ShownPairs + ?Sized>,
        rng: &mut (impl Rng + ?Sized),
    ) -> Option<Vec<ProposedMatch>> {
        if request.must_include.is_some() {
            return None;
        }
        let owned = |idx: u32| self.candidates[idx as usize].owner == request.judge;
        let n_owned_pairs: u64 = (0..self.candidates.len() as u32)
            .filter(|&idx| owned(idx))
            .map(|idx| u64::from(self.degrees[idx as usize]))
            .sum();
        let n_set_aside = request.history.n_shown() as u64 + n_owned_pairs;
        let n_unseen_at_least = (self.pairs.len() as u64).checked_sub(n_set_aside)?;
        let n_wanted = request.max_matches as u64;
        if !Picker::fill_is_sure(n_unseen_at_least, self.max_degree, n_wanted) {
            return None;
        }
        let unseen = |pair: &ScoredPair| {
            let (first, second) = (pair.first_idx, pair.second_idx);
            !owned(first)
                && !owned(second)
                && request
                    .history
                    .shown(self.match_id(first, second))
                    .is_none()
        };
        let mut picker = Picker::new(&self.candidates, request.max_matches);
        for table in &self.by_coldness {
            while !picker.is_full() {
                let qualifies = |pair: &ScoredPair| picker.photos_free(pair) && unseen(pair);
                let Some(pair_idx) = self.draw_qualifying(table, qualifies, rng) else {
                    break;
                };
                picker.take(&self.pairs[pair_idx], false, rng);
            }
        }
        debug_assert!(picker.is_full(), "a sure fill fell short");
        Some(picker.chosen)
    }

    /// One pair of `table` drawn in proportion to the rate among those that `qualify`, or
    /// `None` when none does.
    fn draw_qualifying(
        &self,
        table: &RateTable,
        qualifies: impl Fn(&ScoredPair) -> bool,
        rng: &mut (impl Rng + ?Sized),
    ) -> Option<usize> {
        for _ in 0..SAMPLE_TRIES {
            let pair_idx = table.draw(rng)? as usize;
            if qualifies(&self.pairs[pair_idx]) {
                return Some(pair_idx);
            }
        }
        let qualifying = table
            .pair_indices
            .iter()
            .map(|&pair_idx| pair_idx as usize)
            .filter(|&pair_idx| qualifies(&self.pairs[pair_idx]))
            .map(|pair_idx| (pair_idx, self.pairs[pair_idx].rate));
        race::earliest_arrivals(qualifying, 1, rng).first().copied()
    }

    fn match_id(&self, first_idx: u32, second_idx: u32) -> MatchId {
        MatchId::new(
            self.candidates[first_idx as usize].photo_id,
            self.candidates[second_idx as usize].photo_id,
        )
        .expect("the pool's photos are distinct")
    }
}

/// Draws from a rate table before [`PairingPool::draw_qualifying`] races the qualifying
/// pairs instead: with half the pairs qualifying, 32 misses in a row happen once in four
/// billion draws.
const SAMPLE_TRIES: usize = 32;

/// Pairs (indices into a pool's pairs) with the running total of their rates: a draw in
/// proportion to the rate is one uniform variate and a binary search.
#[derive(Debug, Clone, Default)]
struct RateTable {
    pair_indices: Vec<u32>,
    /// `cumulative[i]`: the rates of the first `i + 1` pairs, summed.
    cumulative: Vec<f64>,
}

impl RateTable {
    fn push(&mut self, pair_idx: u32, rate: f64) {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        self.pair_indices.push(pair_idx);
        self.cumulative.push(total + rate);
    }

    /// A pair drawn in proportion to its rate; `None` when the table is empty.
    fn draw(&self, rng: &mut (impl Rng + ?Sized)) -> Option<u32> {
        let total = *self.cumulative.last()?;
        let target = rng.random::<f64>() * total;
        let at = self.cumulative.partition_point(|&sum| sum <= target);
        Some(self.pair_indices[at.min(self.pair_indices.len() - 1)])
    }
}

/// What one judge's request asks of a [`PairingPool`].
#[derive(Debug, Clone, Copy)]
struct PoolRequest<'a, H: ?Sized> {
    judge: UserId,
    history: &'a H,
    must_include: Option<PhotoId>,
    max_matches: usize,
}

/// How [`PairingPool::propose_drawing`] orders a tier.
#[derive(Debug, Clone, Copy)]
struct DrawOptions {
    /// Race only the pairs still free when a pass without reuse is sure to fill the
    /// response ([`Picker::race_from`]); false: always order the whole tier (the tests
    /// compare the two).
    race_when_it_fills: bool,
    /// Draw from the pool's rate tables when a pass without reuse over the unseen pairs is
    /// sure to fill ([`PairingPool::sample_unseen`]); false: classify every pair first
    /// (the tests compare the two).
    sample_when_sure: bool,
}

/// Whether the judge was shown or has judged a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PairStatus {
    Unseen,
    Seen,
    Judged,
}

/// The judge's history over the pool's photos, as a matrix of pair indices, built from
/// whichever is smaller: the history, or the pool's pairs.
struct HistoryIndex {
    n_photos: usize,
    statuses: Vec<PairStatus>,
}

impl HistoryIndex {
    fn new(pool: &PairingPool, history: &(impl ShownPairs + ?Sized)) -> Self {
        let candidates = &pool.candidates;
        let n_photos = candidates.len();
        let mut statuses = vec![PairStatus::Unseen; n_photos * n_photos];
        let mut mark = |first_idx: usize, second_idx: usize, judged: bool| {
            let cell =
                &mut statuses[first_idx.min(second_idx) * n_photos + first_idx.max(second_idx)];
            if *cell != PairStatus::Judged {
                *cell = if judged {
                    PairStatus::Judged
                } else {
                    PairStatus::Seen
                };
            }
        };
        let n_pairs = n_photos * n_photos.saturating_sub(1) / 2;
        if history.n_shown() <= n_pairs {
            history.each_shown(&mut |match_id, judged| {
                if let (Some(&low), Some(&high)) = (
                    pool.index_of.get(&match_id.low()),
                    pool.index_of.get(&match_id.high()),
                ) {
                    mark(low as usize, high as usize, judged);
                }
            });
        } else {
            for first_idx in 0..n_photos {
                for second_idx in first_idx + 1..n_photos {
                    let match_id = MatchId::new(
                        candidates[first_idx].photo_id,
                        candidates[second_idx].photo_id,
                    )
                    .expect("the pool's photos are distinct");
                    if let Some(judged) = history.shown(match_id) {
                        mark(first_idx, second_idx, judged);
                    }
                }
            }
        }
        Self { n_photos, statuses }
    }

    fn status(&self, first_idx: usize, second_idx: usize) -> PairStatus {
        self.statuses[first_idx.min(second_idx) * self.n_photos + first_idx.max(second_idx)]
    }
}

/// An allowed, unjudged pair, its rate in its tier's race and (when the whole tier is
/// ordered) its arrival time.
#[derive(Debug, Clone, Copy)]
struct ScoredPair {
    first_idx: u32,
    second_idx: u32,
    is_cold: bool,
    /// How fast it arrives (relative to the other pairs of its pool): 1 for `random`,
    /// the informative weight raised to the focus, relative to the pool's largest.
    rate: f64,
    /// Its arrival: an exponential variate of rate `rate` (smaller is proposed first).
    time: f64,
}

impl ScoredPair {
    /// Proposal order: new photos first, then earlier arrivals, then pool order (so the
    /// order is total and deterministic for a given generator).
    fn proposal_order(&self, other: &Self) -> Ordering {
        other
            .is_cold
            .cmp(&self.is_cold)
            .then(self.time.total_cmp(&other.time))
            .then((self.first_idx, self.second_idx).cmp(&(other.first_idx, other.second_idx)))
    }
}

/// Smallest and largest rate a pair may have relative to its pool's largest: a pair whose
/// weight raised to the focus is below 1e-300 of the pool's largest counts as 1e-300 of it.
const MIN_RATE: f64 = 1e-300;
const MAX_RATE: f64 = 1e300;

/// What the strategy needs per candidate to weigh a pair: for `informative`, the
/// ratings on the Glicko-2 scale and each photo's chance of belonging in the top.
struct Rates {
    strategy: PairingStrategy,
    focus: f64,
    floor: f64,
    mu: Vec<f64>,
    phi_squared: Vec<f64>,
    relevance: Vec<f64>,
}

impl Rates {
    fn new(candidates: &[PairingCandidate], config: &PairingConfig) -> Self {
        let informative = config.strategy == PairingStrategy::Informative;
        let scale = |candidate: &PairingCandidate| candidate.rating.to_glicko2();
        Self {
            strategy: config.strategy,
            focus: config.informative_focus,
            floor: config.informative_floor.clamp(0.0, 1.0),
            mu: if informative {
                candidates.iter().map(|c| scale(c).mu).collect()
            } else {
                Vec::new()
            },
            phi_squared: if informative {
                candidates
                    .iter()
                    .map(|c| scale(c).phi * scale(c).phi)
                    .collect()
            } else {
                Vec::new()
            },
            relevance: if informative {
                top_relevance(candidates, config.informative_top_k)
            } else {
                Vec::new()
            },
        }
    }

    /// The informative weight of a pair: [`misorder_probability`] times how plausibly
    /// either photo belongs in the top (between `informative_floor` and 1).
    fn weight(&self, first_idx: usize, second_idx: usize) -> f64 {
        let z = (self.mu[first_idx] - self.mu[second_idx]).abs()
            / (self.phi_squared[first_idx] + self.phi_squared[second_idx]).sqrt();
        let uncertainty = 1.0 / (1.0 + (LOGISTIC_PROBIT_SCALE * z).exp());
        let reach = self.relevance[first_idx].max(self.relevance[second_idx]);
        uncertainty * (self.floor + (1.0 - self.floor) * reach)
    }

    /// Sets every pair's rate: `random` races every pair at one rate (a uniform order);
    /// `informative` at its weight raised to the focus, so the race draws pairs without
    /// replacement with probability proportional to weight^focus.
    fn assign(&self, tier: &mut [ScoredPair]) {
        if self.strategy == PairingStrategy::Random {
            return;
        }
        let mut largest = 0.0_f64;
        for pair in tier.iter_mut() {
            pair.rate = self.weight(pair.first_idx as usize, pair.second_idx as usize);
            largest = largest.max(pair.rate);
        }
        for pair in tier.iter_mut() {
            pair.rate = if largest > 0.0 {
                relative_rate(pair.rate / largest, self.focus)
            } else {
                1.0
            };
        }
    }
}

/// `ratio` (in [0, 1]) raised to `focus`, within [`MIN_RATE`, `MAX_RATE`].
fn relative_rate(ratio: f64, focus: f64) -> f64 {
    let rate = match focus {
        // The default, inlined: `powi` with an exponent known only at run time is a call.
        4.0 => {
            let squared = ratio * ratio;
            squared * squared
        }
        focus if focus.fract() == 0.0 && focus.abs() <= 64.0 => ratio.powi(focus as i32),
        focus => ratio.powf(focus),
    };
    rate.clamp(MIN_RATE, MAX_RATE)
}

/// Phi(z) ~ 1 / (1 + exp(-1.702 z)), within 0.01 everywhere.
const LOGISTIC_PROBIT_SCALE: f64 = 1.702;

/// How likely the current order of two photos is wrong: the probability, with each
/// rating taken as normal with its RD (Glicko-2 scale), that the lower-rated photo is in
/// truth the better one, `Phi(-|mu_a - mu_b| / sqrt(phi_a^2 + phi_b^2))` (with the logistic
/// approximation of Phi). It is 0.5 for two new or equal photos and falls towards 0 as
/// ratings part or RDs shrink: the informative strategy's measure of what a vote on the
/// pair can teach the board (close ratings, high RD).
///
/// ```
/// use glicko2::Rating;
/// use tourney_core::misorder_probability;
///
/// let known = |r| Rating::new(r, 40.0, 0.06).unwrap();
/// let unknown = |r| Rating::new(r, 300.0, 0.06).unwrap();
/// let close = misorder_probability(known(1500.0), known(1510.0));
/// assert!(close > misorder_probability(known(1500.0), known(1700.0)));
/// assert!(misorder_probability(unknown(1500.0), unknown(1700.0)) > misorder_probability(known(1500.0), known(1700.0)));
/// assert!((misorder_probability(unknown(1500.0), unknown(1500.0)) - 0.5).abs() < 1e-12);
/// ```
pub fn misorder_probability(a: Rating, b: Rating) -> f64 {
    let a = a.to_glicko2();
    let b = b.to_glicko2();
    let z = (a.mu - b.mu).abs() / (a.phi * a.phi + b.phi * b.phi).sqrt();
    1.0 / (1.0 + (LOGISTIC_PROBIT_SCALE * z).exp())
}

/// For each candidate, how plausibly it belongs in the top `top_k`: the probability,
/// with its rating normal with its RD, that it is above the current k-th best rating
/// (logistic approximation of Phi). All 1 when `top_k` is 0.
fn top_relevance(candidates: &[PairingCandidate], top_k: usize) -> Vec<f64> {
    if top_k == 0 || candidates.is_empty() {
        return vec![1.0; candidates.len()];
    }
    let mut ratings: Vec<f64> = candidates.iter().map(|c| c.rating.rating()).collect();
    ratings.sort_unstable_by(|a, b| b.total_cmp(a));
    let threshold = ratings[top_k.min(ratings.len()) - 1];
    candidates
        .iter()
        .map(|candidate| {
            let z = (candidate.rating.rating() - threshold) / candidate.rating.deviation();
            1.0 / (1.0 + (-LOGISTIC_PROBIT_SCALE * z).exp())
        })
        .collect()
}

/// Pairs ordered at first, before the rest of a tier is sorted: enough for a full
/// response unless many of them share photos.
const HEAD_PAIRS_PER_MATCH: usize = 8;

/// Arrivals found per missing match in each round of [`Picker::race_from`]: a few more
/// than needed, since later arrivals may share a photo with earlier ones.
const RACE_PAIRS_PER_MATCH: usize = 4;

/// Fills a response from tiers, spreading photos across matches.
struct Picker<'a> {
    candidates: &'a [PairingCandidate],
    used_photos: Vec<bool>,
    taken: HashSet<(u32, u32)>,
    chosen: Vec<ProposedMatch>,
    max_matches: usize,
}

impl<'a> Picker<'a> {
    fn new(candidates: &'a [PairingCandidate], max_matches: usize) -> Self {
        Self {
            candidates,
            used_photos: vec![false; candidates.len()],
            taken: HashSet::new(),
            chosen: Vec::with_capacity(max_matches),
            max_matches,
        }
    }

    fn is_full(&self) -> bool {
        self.chosen.len() >= self.max_matches
    }

    fn photos_free(&self, pair: &ScoredPair) -> bool {
        !self.used_photos[pair.first_idx as usize] && !self.used_photos[pair.second_idx as usize]
    }

    /// Whether a pass over `tier` that skips pairs with a photo already in the response
    /// fills it, in whatever order it goes: such a pass takes a maximal matching of the
    /// pairs of free photos, and a maximal matching of a graph with `m` edges and largest
    /// degree `d` has at least `m / (2 d - 1)` edges (every pair shares a photo with one of
    /// its pairs, and a pair shares a photo with at most `2 d - 1` pairs, itself included).
    fn fills_without_reuse<'p>(&self, tier: impl Iterator<Item = &'p ScoredPair>) -> bool {
        let mut degrees = vec![0_u64; self.candidates.len()];
        let mut n_free_pairs = 0_u64;
        for pair in tier.filter(|pair| self.photos_free(pair)) {
            n_free_pairs += 1;
            degrees[pair.first_idx as usize] += 1;
            degrees[pair.second_idx as usize] += 1;
        }
        let largest_degree = degrees.into_iter().max().unwrap_or(0);
        let n_missing = (self.max_matches - self.chosen.len()) as u64;
        Self::fill_is_sure(n_free_pairs, largest_degree, n_missing)
    }

    /// Whether any maximal matching of `n_free_pairs` pairs, no photo in more than
    /// `largest_degree` of them, has `n_missing` pairs: ceil(m / (2 d - 1)) >= n_missing.
    /// A larger `largest_degree` than the true one only answers no more often.
    fn fill_is_sure(n_free_pairs: u64, largest_degree: u64, n_missing: u64) -> bool {
        n_missing > 0 && n_free_pairs > (2 * largest_degree).saturating_sub(1) * (n_missing - 1)
    }

    /// Fills the response from a tier (its pairs in `pairs`, listed new photos' pairs
    /// first, then the rest) the way [`Picker::pick_from`] would when its first two passes
    /// fill it (see [`Picker::fills_without_reuse`]), without ordering the whole tier.
    /// Those passes take, again and again, the earliest arrival among the pairs whose
    /// photos are both free (new photos' pairs first); an exponential race is
    /// memoryless, so each round races just the pairs still free and takes its first few
    /// arrivals in order, skipping those that meet a photo taken meanwhile.
    fn race_from(
        &mut self,
        pairs: &[ScoredPair],
        by_coldness: &[Vec<u32>; 2],
        seen_before: bool,
        rng: &mut (impl Rng + ?Sized),
    ) {
        for list in by_coldness {
            while !self.is_full() {
                let n_missing = self.max_matches - self.chosen.len();
                let free = list
                    .iter()
                    .map(|&pair_idx| (pair_idx as usize, &pairs[pair_idx as usize]))
                    .filter(|(_, pair)| self.photos_free(pair))
                    .map(|(pair_idx, pair)| (pair_idx, pair.rate));
                let arrivals = race::earliest_arrivals(free, RACE_PAIRS_PER_MATCH * n_missing, rng);
                if arrivals.is_empty() {
                    break;
                }
                for pair_idx in arrivals {
                    if self.is_full() {
                        break;
                    }
                    if self.photos_free(&pairs[pair_idx]) {
                        self.take(&pairs[pair_idx], seen_before, rng);
                    }
                }
            }
        }
    }

    /// Two passes over a tier in proposal order: first only pairs of photos not yet in the
    /// response, then any pair not yet in it. Only the head of the tier is sorted at first;
    /// the rest is sorted only when the head did not fill the response.
    fn pick_from(
        &mut self,
        tier: &mut [ScoredPair],
        seen_before: bool,
        rng: &mut (impl Rng + ?Sized),
    ) {
        let head_len = tier
            .len()
            .min(HEAD_PAIRS_PER_MATCH * self.max_matches.max(1));
        if head_len < tier.len() {
            tier.select_nth_unstable_by(head_len - 1, ScoredPair::proposal_order);
        }
        tier[..head_len].sort_unstable_by(ScoredPair::proposal_order);
        self.pass(
            &tier[..head_len],
            PassOptions {
                allow_reuse: false,
                seen_before,
            },
            rng,
        );
        if self.is_full() {
            return;
        }
        tier[head_len..].sort_unstable_by(ScoredPair::proposal_order);
        self.pass(
            &tier[head_len..],
            PassOptions {
                allow_reuse: false,
                seen_before,
            },
            rng,
        );
        self.pass(
            tier,
            PassOptions {
                allow_reuse: true,
                seen_before,
            },
            rng,
        );
    }

    fn pass(&mut self, pairs: &[ScoredPair], options: PassOptions, rng: &mut (impl Rng + ?Sized)) {
        for pair in pairs {
            if self.is_full() {
                return;
            }
            if !options.allow_reuse && !self.photos_free(pair) {
                continue;
            }
            if self.taken.contains(&(pair.first_idx, pair.second_idx)) {
                continue;
            }
            self.take(pair, options.seen_before, rng);
        }
    }

    /// Adds `pair` to the response, its sides drawn at random.
    fn take(&mut self, pair: &ScoredPair, seen_before: bool, rng: &mut (impl Rng + ?Sized)) {
        let (first_idx, second_idx) = (pair.first_idx as usize, pair.second_idx as usize);
        self.taken.insert((pair.first_idx, pair.second_idx));
        self.used_photos[first_idx] = true;
        self.used_photos[second_idx] = true;
        let (first, second) = (
            self.candidates[first_idx].photo_id,
            self.candidates[second_idx].photo_id,
        );
        let (left, right) = if rng.random_bool(0.5) {
            (first, second)
        } else {
            (second, first)
        };
        self.chosen.push(ProposedMatch {
            match_id: MatchId::new(first, second).expect("the pool's photos are distinct"),
            left,
            right,
            seen_before,
        });
    }
}

/// How one pass over a tier picks.
#[derive(Debug, Clone, Copy)]
struct PassOptions {
    /// Whether a photo already in the response may appear again.
    allow_reuse: bool,
    /// Whether the tier holds pairs the judge was shown before.
    seen_before: bool,
}

mod race;

#[cfg(test)]
mod tests;
