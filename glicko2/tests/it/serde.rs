//! The optional `serde` feature: ratings round-trip, and deserialising validates.
#![cfg(feature = "serde")]

use glicko2::{PairGame, Rating};

#[test]
fn ratings_round_trip_and_bad_ones_are_refused() {
    let rating = Rating::new(1612.5, 88.0, 0.059).unwrap();
    let json = serde_json::to_string(&rating).unwrap();
    assert_eq!(
        json,
        r#"{"rating":1612.5,"deviation":88.0,"volatility":0.059}"#
    );
    assert_eq!(serde_json::from_str::<Rating>(&json).unwrap(), rating);

    let negative_rd = r#"{"rating":1500.0,"deviation":-1.0,"volatility":0.06}"#;
    let err = serde_json::from_str::<Rating>(negative_rd).unwrap_err();
    assert!(
        err.to_string().contains("deviation must be within"),
        "{err}"
    );
    let unknown_field = r#"{"rating":1500.0,"deviation":350.0,"volatility":0.06,"x":1}"#;
    assert!(serde_json::from_str::<Rating>(unknown_field).is_err());
}

#[test]
fn pair_games_round_trip() {
    let game = PairGame::new(3, 9, 0.5);
    let json = serde_json::to_string(&game).unwrap();
    assert_eq!(serde_json::from_str::<PairGame>(&json).unwrap(), game);
}
