//! Player statistics derived from win and loss counts.

/// Win/loss ratio as a percentage: `100 * wins / (wins + losses)`, and 50.0 for a player
/// with no games (neither good nor bad yet).
///
/// ```
/// assert_eq!(tourney_core::win_loss_ratio(3, 1), 75.0);
/// assert_eq!(tourney_core::win_loss_ratio(0, 0), 50.0);
/// ```
pub fn win_loss_ratio(wins: u64, losses: u64) -> f64 {
    let games = wins as f64 + losses as f64;
    if games == 0.0 {
        return 50.0;
    }
    100.0 * wins as f64 / games
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_percentages_with_fifty_for_no_games() {
        let cases = [
            (0, 0, 50.0),
            (1, 0, 100.0),
            (0, 1, 0.0),
            (1, 1, 50.0),
            (1, 2, 100.0 / 3.0),
            (u64::MAX, 0, 100.0),
        ];
        for (wins, losses, expected) in cases {
            let ratio = win_loss_ratio(wins, losses);
            assert!((ratio - expected).abs() < 1e-12, "{wins}/{losses}: {ratio}");
        }
    }
}
