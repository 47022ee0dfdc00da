//! Credentials kept in memory (`Game::authenticate_at`): this process's bans, unbans,
//! rotations and deletions apply at once; another process's once the kept answer is stale.

use std::sync::Arc;
use std::time::Duration;

use ocean_embedded::EmbeddedRecords;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{Game, GameConfig, GamePorts, NewUser, ServiceError};
use tourney_core::{Timestamp, UserId};

use crate::service::open_ports;

/// `millis` after a fixed instant: kept answers age in milliseconds here.
fn at(millis: i64) -> Timestamp {
    Timestamp::from_millis(1_800_000_000_000 + millis)
}

fn is_refused(result: &Result<UserId, ServiceError>, why: &str) -> bool {
    matches!(result, Err(ServiceError::Unauthorized { message }) if message.contains(why))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_credentials_follow_bans_rotations_and_deletions_made_here_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = GameConfig {
        board_fresh_for: Duration::from_secs(3600),
        ..GameConfig::default()
    };
    let game = Game::new(open_ports(dir.path()).await, config);
    let mut rng = SmallRng::seed_from_u64(1);
    let (admin, _) = game
        .create_admin("moderator", at(0), &mut rng)
        .await
        .unwrap();
    let (user, token) = game
        .create_user(NewUser::default(), at(0), &mut rng)
        .await
        .unwrap();
    // Kept from the first request on (the same instant: nothing has aged).
    assert_eq!(
        game.authenticate_at(&token, None, at(1)).await.unwrap(),
        user
    );
    let someone_else = Some(admin);
    let claimed = game.authenticate_at(&token, someone_else, at(1)).await;
    assert!(is_refused(&claimed, "unknown"));

    assert!(game.ban_user(admin, user, at(2), &mut rng).await.unwrap());
    let banned = game.authenticate_at(&token, None, at(2)).await;
    assert!(is_refused(&banned, "banned"), "{banned:?}");
    assert!(game.unban_user(admin, user, at(3), &mut rng).await.unwrap());
    assert_eq!(
        game.authenticate_at(&token, None, at(3)).await.unwrap(),
        user
    );

    let rotated = game.rotate_token(user, &mut rng).await.unwrap();
    let old = game.authenticate_at(&token, None, at(4)).await;
    assert!(is_refused(&old, "unknown"), "{old:?}");
    assert_eq!(
        game.authenticate_at(&rotated, None, at(4)).await.unwrap(),
        user
    );

    game.delete_user(user).await.unwrap();
    let deleted = game.authenticate_at(&rotated, None, at(5)).await;
    assert!(is_refused(&deleted, "unknown"), "{deleted:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_ban_shows_once_the_kept_answer_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let config = GameConfig {
        board_fresh_for: Duration::from_secs(1),
        ..GameConfig::default()
    };
    let records: Arc<dyn ocean::Records> = Arc::new(EmbeddedRecords::open(dir.path()).unwrap());
    // Two processes over one store: a server and, say, the admin's command line.
    let server = Game::new(
        GamePorts {
            records: Arc::clone(&records),
            ..open_ports(dir.path()).await
        },
        config.clone(),
    );
    let other = Game::new(
        GamePorts {
            records: Arc::clone(&records),
            ..open_ports(dir.path()).await
        },
        config,
    );
    let mut rng = SmallRng::seed_from_u64(2);
    let (admin, _) = other
        .create_admin("moderator", at(0), &mut rng)
        .await
        .unwrap();
    let (user, token) = server
        .create_user(NewUser::default(), at(0), &mut rng)
        .await
        .unwrap();
    assert_eq!(
        server.authenticate_at(&token, None, at(0)).await.unwrap(),
        user
    );
    assert!(
        other
            .ban_user(admin, user, at(100), &mut rng)
            .await
            .unwrap()
    );
    // Within board_fresh_for the server still answers from what it read...
    assert_eq!(
        server.authenticate_at(&token, None, at(999)).await.unwrap(),
        user
    );
    // ...then reads again; the uncached check sees the ban at once.
    let later = server.authenticate_at(&token, None, at(1_000)).await;
    assert!(is_refused(&later, "banned"), "{later:?}");
    assert!(is_refused(
        &server.authenticate(&token, None).await,
        "banned"
    ));
}
