//! `skillratings` and `instant-glicko-2` on our workloads, written once for the criterion
//! bench and the interleaved ratio report: conversions from [`Rating`], and a population
//! period driven the way each crate's users must (group each period's games per player,
//! then rate player by player; buffers reused across periods).

use glicko2::{Game, PairGame, Rating};
use instant_glicko_2::algorithm::{InternalGame, rate_games_untimed};
use instant_glicko_2::{InternalRating, IntoWithParameters, Parameters, PublicRating};
use skillratings::Outcomes;
use skillratings::glicko2::{Glicko2Config, Glicko2Rating, decay_deviation, glicko2_rating_period};

/// A rating as skillratings holds it.
pub fn skill(rating: Rating) -> Glicko2Rating {
    Glicko2Rating {
        rating: rating.rating(),
        deviation: rating.deviation(),
        volatility: rating.volatility(),
    }
}

/// A rating as instant-glicko-2 holds it (public scale).
pub fn instant(rating: Rating) -> PublicRating {
    PublicRating::new(rating.rating(), rating.deviation(), rating.volatility())
}

/// A score as a skillratings outcome: 1 a win, 0 a loss, anything else a draw.
pub fn outcome(score: f64) -> Outcomes {
    if score >= 1.0 {
        Outcomes::WIN
    } else if score <= 0.0 {
        Outcomes::LOSS
    } else {
        Outcomes::DRAW
    }
}

/// A player's games as instant-glicko-2 takes them (opponents on its internal scale).
pub fn instant_games(games: &[Game], parameters: Parameters) -> Vec<InternalGame> {
    games
        .iter()
        .map(|game| {
            InternalGame::new(
                instant(game.opponent).into_with_parameters(parameters),
                game.score,
            )
        })
        .collect()
}

/// A player's games as skillratings takes them.
pub fn skill_games(games: &[Game]) -> Vec<(Glicko2Rating, Outcomes)> {
    games
        .iter()
        .map(|game| (skill(game.opponent), outcome(game.score)))
        .collect()
}

/// One player's period with instant-glicko-2, converting in and out of its internal scale
/// as a caller holding public ratings must.
pub fn instant_rate(
    player: PublicRating,
    games: &[InternalGame],
    parameters: Parameters,
) -> PublicRating {
    let internal: InternalRating = player.into_with_parameters(parameters);
    rate_games_untimed(internal, games, 1.0, parameters).into_with_parameters(parameters)
}

/// Rates `start` through every period of `periods` with skillratings.
pub fn skillratings_periods(
    start: &[Rating],
    periods: &[Vec<PairGame>],
    own_games: &mut Vec<Vec<(Glicko2Rating, Outcomes)>>,
) -> Vec<Glicko2Rating> {
    let config = Glicko2Config::new();
    own_games.resize(start.len(), Vec::new());
    let mut ratings: Vec<Glicko2Rating> = start.iter().map(|r| skill(*r)).collect();
    for games in periods {
        own_games.iter_mut().for_each(Vec::clear);
        for game in games {
            let (a, b) = (game.a as usize, game.b as usize);
            own_games[a].push((ratings[b], outcome(game.score_a)));
            own_games[b].push((ratings[a], outcome(1.0 - game.score_a)));
        }
        for (rating, own) in ratings.iter_mut().zip(own_games.iter()) {
            *rating = if own.is_empty() {
                decay_deviation(rating)
            } else {
                glicko2_rating_period(rating, own, &config)
            };
        }
    }
    ratings
}

/// Rates `start` through every period of `periods` with instant-glicko-2.
pub fn instant_periods(
    start: &[Rating],
    periods: &[Vec<PairGame>],
    own_games: &mut Vec<Vec<InternalGame>>,
) -> Vec<PublicRating> {
    let parameters = Parameters::default();
    own_games.resize(start.len(), Vec::new());
    let mut ratings: Vec<PublicRating> = start.iter().map(|r| instant(*r)).collect();
    for games in periods {
        own_games.iter_mut().for_each(Vec::clear);
        for game in games {
            let (a, b) = (game.a as usize, game.b as usize);
            let a_internal: InternalRating = ratings[a].into_with_parameters(parameters);
            let b_internal: InternalRating = ratings[b].into_with_parameters(parameters);
            own_games[a].push(InternalGame::new(b_internal, game.score_a));
            own_games[b].push(InternalGame::new(a_internal, 1.0 - game.score_a));
        }
        for (rating, own) in ratings.iter_mut().zip(own_games.iter()) {
            *rating = instant_rate(*rating, own, parameters);
        }
    }
    ratings
}
