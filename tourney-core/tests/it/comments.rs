//! Comments through the use cases: registration required, 1-300 characters, oldest first
//! with paging, counted with the list, only on ready photos.

use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{Game, NewPhoto, NewUser, ProfilePatch, ServiceError};
use tourney_core::{Coordinates, MediaType, PhotoId, UserId};

use crate::service::{at, config, open_ports, processed_photo, ready_tagged_photo};

/// A user whose registration is `ok`: name, categories, location and a profile photo.
pub(crate) async fn registered(game: &Game, name: &str, n: u64, rng: &mut SmallRng) -> UserId {
    let (user, _) = game
        .create_user(NewUser::default(), at(0), rng)
        .await
        .unwrap();
    let patch = ProfilePatch {
        user_name: Some(name.to_owned()),
        post_category: Some("female".to_owned()),
        view_category: Some("female".to_owned()),
        location: Some(Coordinates::new(34.05, -118.24).unwrap()),
        ..ProfilePatch::default()
    };
    game.update_profile(user, patch).await.unwrap();
    let profile_photo = NewPhoto {
        category: None,
        media_type: MediaType::Photo,
        content_type: "image/jpeg".to_owned(),
        enter_in_tournament: false,
        set_as_profile_photo: true,
        location: None,
        is_test: false,
        tags: Vec::new(),
    };
    processed_photo(game, user, 1000 + n, profile_photo, at(1), rng).await;
    assert!(game.user(user).await.unwrap().registration.is_ok());
    user
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_users_comment_and_comments_list_oldest_first_with_paging() {
    let dir = tempfile::tempdir().unwrap();
    let game = Game::new(open_ports(dir.path()).await, config());
    let mut rng = SmallRng::seed_from_u64(21);
    let ann = registered(&game, "Ann", 1, &mut rng).await;
    let bob = registered(&game, "Bob", 2, &mut rng).await;
    let photo = ready_tagged_photo(&game, ann, 3, &[], at(2), &mut rng).await;

    let mut written = Vec::new();
    for n in 0..5 {
        let author = if n % 2 == 0 { bob } else { ann };
        let comment = game
            .add_comment(
                author,
                photo,
                &format!(" comment {n} "),
                at(10 + n),
                &mut rng,
            )
            .await
            .unwrap();
        assert_eq!(comment.text, format!("comment {n}"), "trimmed");
        written.push(comment);
    }
    assert_eq!(written[0].user_name.as_deref(), Some("Bob"));
    assert_eq!(game.comment_count(photo).await.unwrap(), 5);

    let mut listed = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = game.comments(photo, 2, cursor).await.unwrap();
        assert!(page.len() <= 2);
        listed.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(listed, written, "oldest first, no gaps or duplicates");

    let too_long = game
        .add_comment(bob, photo, &"x".repeat(301), at(20), &mut rng)
        .await;
    assert!(
        matches!(too_long, Err(ServiceError::Rules(ref e)) if e.field() == Some("text")),
        "{too_long:?}"
    );
    let blank = game.add_comment(bob, photo, "   ", at(20), &mut rng).await;
    assert!(blank.is_err());
    let missing = PhotoId::from_time_and_random(at(0), 7);
    let unknown = game.add_comment(bob, missing, "hi", at(20), &mut rng).await;
    assert!(
        matches!(unknown, Err(ServiceError::NotFound { .. })),
        "{unknown:?}"
    );
    assert_eq!(
        game.comment_count(photo).await.unwrap(),
        5,
        "refusals write nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commenting_needs_a_complete_registration() {
    let dir = tempfile::tempdir().unwrap();
    let game = Game::new(open_ports(dir.path()).await, config());
    let mut rng = SmallRng::seed_from_u64(22);
    let ann = registered(&game, "Ann", 1, &mut rng).await;
    let photo = ready_tagged_photo(&game, ann, 3, &[], at(2), &mut rng).await;
    let (newcomer, _) = game
        .create_user(NewUser::default(), at(3), &mut rng)
        .await
        .unwrap();
    let refused = game
        .add_comment(newcomer, photo, "hello", at(4), &mut rng)
        .await;
    match refused {
        Err(ServiceError::Forbidden { message }) => {
            assert!(message.contains("need name"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_comments_are_all_counted() {
    let dir = tempfile::tempdir().unwrap();
    let game = Game::new(open_ports(dir.path()).await, config());
    let mut rng = SmallRng::seed_from_u64(23);
    let ann = registered(&game, "Ann", 1, &mut rng).await;
    let photo = ready_tagged_photo(&game, ann, 3, &[], at(2), &mut rng).await;
    let tasks: Vec<_> = (0..6)
        .map(|n| {
            let game = game.clone();
            tokio::spawn(async move {
                let mut rng = SmallRng::seed_from_u64(100 + n);
                game.add_comment(ann, photo, "at once", at(5), &mut rng)
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(game.comment_count(photo).await.unwrap(), 6);
    let (listed, _) = game.comments(photo, 50, None).await.unwrap();
    assert_eq!(listed.len(), 6);
}
