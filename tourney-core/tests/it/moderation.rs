//! Moderation through the use cases: flags once per flagger, the queue by open flags with
//! paging, resolutions and history; hidden photos out of every pool yet still scored and
//! replayed by `rescore`; bans refusing the token and taking the owner's photos out until
//! lifted; hidden comments out of the list and the count; admins only.

use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{
    BoardQuery, FlagTarget, Game, ModerationAction, NewUser, PhotoState, ProposalOptions,
    RescoreMode, ServiceError,
};
use tourney_core::{PageSize, PhotoId, Timestamp, UserId, Window};

use crate::comments::registered;
use crate::service::{at, config, open_ports, ready_tagged_photo};

/// A game with an admin and `n_photos` ready photos tagged `Dusk`, one owner each.
async fn world(
    dir: &std::path::Path,
    n_photos: u64,
    rng: &mut SmallRng,
) -> (Game, UserId, Vec<(UserId, PhotoId)>) {
    let game = Game::new(open_ports(dir).await, config());
    let (admin, _) = game.create_admin("Mod", at(0), rng).await.unwrap();
    let mut photos = Vec::new();
    for n in 0..n_photos {
        let (owner, _) = game
            .create_user(NewUser::default(), at(1), rng)
            .await
            .unwrap();
        let photo = ready_tagged_photo(&game, owner, n, &["Dusk"], at(2), rng).await;
        photos.push((owner, photo));
    }
    (game, admin, photos)
}

async fn new_user(game: &Game, rng: &mut SmallRng) -> UserId {
    game.create_user(NewUser::default(), at(3), rng)
        .await
        .unwrap()
        .0
}

/// The photo ids on the category's board of every place and time.
async fn board_ids(game: &Game, now: Timestamp) -> Vec<PhotoId> {
    let query = BoardQuery {
        category: "female".to_owned(),
        place_id: None,
        window: Window::AllTime,
        count: PageSize::new(100).unwrap(),
        cursor: None,
    };
    let board = game.board(query, now).await.unwrap();
    board.entries.iter().map(|(_, _, photo)| photo.id).collect()
}

/// The photo ids on the `Dusk` tag board.
async fn tag_board_ids(game: &Game, now: Timestamp) -> Vec<PhotoId> {
    let board = game
        .tag_board("female", "dusk", PageSize::new(100).unwrap(), None, now)
        .await
        .unwrap();
    board.entries.iter().map(|(_, _, photo)| photo.id).collect()
}

/// Every photo a fresh judge is offered in matches and tag matches.
async fn matched_ids(game: &Game, rng: &mut SmallRng) -> Vec<PhotoId> {
    let judge = new_user(game, rng).await;
    let mut ids = Vec::new();
    let proposal = game
        .propose(judge, ProposalOptions::default(), at(30), rng)
        .await
        .unwrap();
    let tagged = game
        .propose_tagged(judge, "Dusk", at(30), rng)
        .await
        .unwrap();
    for proposed in proposal.matches.iter().chain(&tagged) {
        ids.extend([proposed.photo_a.id, proposed.photo_b.id]);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_are_once_per_flagger_and_the_queue_pages_by_open_flags() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = SmallRng::seed_from_u64(61);
    let (game, admin, photos) = world(dir.path(), 2, &mut rng).await;
    let (owner, first) = photos[0];
    let second = photos[1].1;
    let mut flaggers = Vec::new();
    for _ in 0..3 {
        flaggers.push(new_user(&game, &mut rng).await);
    }
    for (n, flagger) in flaggers.iter().enumerate() {
        let flag = game
            .flag(
                *flagger,
                FlagTarget::Photo(first),
                " ugly ",
                "10.1.2.3",
                at(10),
            )
            .await
            .unwrap();
        assert_eq!(
            (flag.flagger, flag.reason.as_str(), flag.ip.as_str()),
            (*flagger, "ugly", "10.1.2.3")
        );
        assert_eq!(flag.target.kind_id(), format!("photo:{first}"));
        if n < 2 {
            game.flag(
                *flagger,
                FlagTarget::Photo(second),
                "dull",
                "",
                at(11 + n as i64),
            )
            .await
            .unwrap();
        }
    }
    game.flag(flaggers[0], FlagTarget::User(owner), "bot", "", at(12))
        .await
        .unwrap();

    let again = game
        .flag(
            flaggers[0],
            FlagTarget::Photo(first),
            "still ugly",
            "",
            at(13),
        )
        .await;
    assert!(
        matches!(
            again,
            Err(ServiceError::Conflict {
                code: "already_flagged",
                ..
            })
        ),
        "{again:?}"
    );
    let missing = PhotoId::from_time_and_random(at(0), 99);
    let ghost = game
        .flag(flaggers[0], FlagTarget::Photo(missing), "ghost", "", at(13))
        .await;
    assert!(
        matches!(ghost, Err(ServiceError::NotFound { .. })),
        "{ghost:?}"
    );
    let blank = game
        .flag(flaggers[1], FlagTarget::User(owner), " ", "", at(13))
        .await;
    assert!(
        matches!(
            blank,
            Err(ServiceError::Invalid {
                field: "reason",
                ..
            })
        ),
        "{blank:?}"
    );

    let queue_targets = async || {
        let mut targets = Vec::new();
        let mut cursor = None;
        loop {
            let (page, next) = game.moderation_queue(admin, 1, cursor).await.unwrap();
            assert!(page.len() <= 1);
            targets.extend(page.iter().map(|entry| (entry.target, entry.open_flags)));
            match next {
                Some(next) => cursor = Some(next),
                None => return targets,
            }
        }
    };
    assert_eq!(
        queue_targets().await,
        vec![
            (FlagTarget::Photo(first), 3),
            (FlagTarget::Photo(second), 2),
            (FlagTarget::User(owner), 1)
        ]
    );
    let refused = game.moderation_queue(flaggers[0], 10, None).await;
    assert!(
        matches!(refused, Err(ServiceError::Forbidden { .. })),
        "{refused:?}"
    );

    for flagger in &flaggers {
        let resolved = game
            .resolve_flag(admin, FlagTarget::Photo(first), *flagger, at(20), &mut rng)
            .await
            .unwrap();
        assert!(resolved);
    }
    let repeated = game
        .resolve_flag(
            admin,
            FlagTarget::Photo(first),
            flaggers[0],
            at(21),
            &mut rng,
        )
        .await
        .unwrap();
    assert!(!repeated, "a resolved flag stays resolved, no second entry");
    let never = game
        .resolve_flag(
            admin,
            FlagTarget::User(owner),
            flaggers[2],
            at(21),
            &mut rng,
        )
        .await;
    assert!(
        matches!(never, Err(ServiceError::NotFound { .. })),
        "{never:?}"
    );
    assert_eq!(
        queue_targets().await,
        vec![(FlagTarget::Photo(second), 2), (FlagTarget::User(owner), 1)]
    );

    let page = game.moderated_photo(admin, first, at(30)).await.unwrap();
    assert_eq!(page.flags.len(), 3);
    assert!(
        page.flags
            .iter()
            .all(|flag| flag.resolved == Some((admin, at(20))))
    );
    assert_eq!(page.history.len(), 3);
    assert!(
        page.history
            .iter()
            .all(|entry| entry.action == ModerationAction::ResolveFlag
                && entry.admin == admin
                && entry.at == at(20))
    );
    let mut resolved_for: Vec<UserId> = page.history.iter().filter_map(|e| e.flagger).collect();
    resolved_for.sort();
    let mut expected = flaggers.clone();
    expected.sort();
    assert_eq!(resolved_for, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_photos_leave_every_pool_but_their_votes_still_score_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = SmallRng::seed_from_u64(62);
    let (game, admin, photos) = world(dir.path(), 4, &mut rng).await;
    let judge = new_user(&game, &mut rng).await;
    let proposal = game
        .propose(judge, ProposalOptions::default(), at(20), &mut rng)
        .await
        .unwrap();
    let played = proposal.matches[0].match_id;
    for proposed in &proposal.matches {
        game.vote(judge, proposed.match_id, "a", at(21))
            .await
            .unwrap();
    }
    let hidden = played.low();
    let owner = photos
        .iter()
        .find(|(_, photo)| *photo == hidden)
        .map(|(owner, _)| *owner)
        .unwrap();
    let viewer = new_user(&game, &mut rng).await;
    assert!(board_ids(&game, at(22)).await.contains(&hidden));

    assert!(
        game.hide_photo(admin, hidden, at(22), &mut rng)
            .await
            .unwrap()
    );
    assert!(
        !game
            .hide_photo(admin, hidden, at(23), &mut rng)
            .await
            .unwrap()
    );
    let refused = game.hide_photo(viewer, hidden, at(23), &mut rng).await;
    assert!(
        matches!(refused, Err(ServiceError::Forbidden { .. })),
        "{refused:?}"
    );

    let check_gone = async |game: &Game, rng: &mut SmallRng| {
        assert!(!board_ids(game, at(40)).await.contains(&hidden));
        assert!(!tag_board_ids(game, at(40)).await.contains(&hidden));
        assert!(!matched_ids(game, rng).await.contains(&hidden));
        let seen = game.photo(hidden, Some(viewer), at(40)).await;
        assert!(
            matches!(seen, Err(ServiceError::NotFound { .. })),
            "{seen:?}"
        );
        let (listed, _) = game
            .user_photos(owner, viewer, 10, None, at(40))
            .await
            .unwrap();
        assert!(listed.is_empty());
        let own = game.photo(hidden, Some(owner), at(40)).await.unwrap();
        assert_eq!(own.state, PhotoState::Hidden);
        let (own_list, _) = game
            .user_photos(owner, owner, 10, None, at(40))
            .await
            .unwrap();
        assert_eq!(own_list[0].state, PhotoState::Hidden);
        let proposed = game.propose_with_photo(viewer, hidden, at(40), rng).await;
        assert!(
            matches!(proposed, Err(ServiceError::NotFound { .. })),
            "{proposed:?}"
        );
    };
    check_gone(&game, &mut rng).await;

    // The votes already cast on it still score; it stays hidden through scoring.
    let before = game
        .moderated_photo(admin, hidden, at(30))
        .await
        .unwrap()
        .photo;
    assert_eq!(before.games, 0);
    loop {
        if game.score_period(at(30)).await.unwrap().idle {
            break;
        }
    }
    let after = game.moderated_photo(admin, hidden, at(30)).await.unwrap();
    assert!(after.hidden);
    assert!(after.photo.games > 0, "its votes were scored");
    assert!((after.photo.score - before.score).abs() > 1e-9, "rated");
    check_gone(&game, &mut rng).await;
    let replay = game.rescore(RescoreMode::Check, |_| {}).await.unwrap();
    assert_eq!(replay.differing, [], "the replay includes the hidden photo");
    assert_eq!(replay.n_photos, 4);

    assert!(
        game.restore_photo(admin, hidden, at(41), &mut rng)
            .await
            .unwrap()
    );
    assert!(board_ids(&game, at(42)).await.contains(&hidden));
    assert!(tag_board_ids(&game, at(42)).await.contains(&hidden));
    let restored = game.photo(hidden, Some(viewer), at(42)).await.unwrap();
    assert_eq!(
        (restored.state, restored.score.to_bits()),
        (PhotoState::Ready, after.photo.score.to_bits()),
        "back with its rating"
    );
    let history = game
        .moderated_photo(admin, hidden, at(42))
        .await
        .unwrap()
        .history;
    let actions: Vec<_> = history.iter().map(|e| (e.action, e.admin, e.at)).collect();
    assert_eq!(
        actions,
        vec![
            (ModerationAction::HidePhoto, admin, at(22)),
            (ModerationAction::RestorePhoto, admin, at(41))
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_refuses_the_token_and_takes_every_photo_out_until_lifted() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = SmallRng::seed_from_u64(63);
    let (game, admin, photos) = world(dir.path(), 2, &mut rng).await;
    let (banned, token) = game
        .create_user(NewUser::default(), at(1), &mut rng)
        .await
        .unwrap();
    let mut own = Vec::new();
    for n in 10..12 {
        own.push(ready_tagged_photo(&game, banned, n, &["Dusk"], at(2), &mut rng).await);
    }
    assert_eq!(game.authenticate(&token, None).await.unwrap(), banned);

    assert!(game.ban_user(admin, banned, at(5), &mut rng).await.unwrap());
    assert!(!game.ban_user(admin, banned, at(6), &mut rng).await.unwrap());
    let refused = game.authenticate(&token, Some(banned)).await;
    assert!(
        matches!(refused, Err(ServiceError::Unauthorized { ref message }) if message.contains("banned")),
        "{refused:?}"
    );
    let board = board_ids(&game, at(7)).await;
    assert_eq!(board.len(), photos.len(), "only the others: {board:?}");
    assert!(own.iter().all(|photo| !board.contains(photo)));
    let tagged = tag_board_ids(&game, at(7)).await;
    assert!(
        own.iter().all(|photo| !tagged.contains(photo)),
        "{tagged:?}"
    );
    let matched = matched_ids(&game, &mut rng).await;
    assert!(own.iter().all(|photo| !matched.contains(photo)));
    let page = game.moderated_user(admin, banned, at(7)).await.unwrap();
    assert!(page.banned);
    assert_eq!(page.photos.len(), 2);
    assert_eq!(page.history.len(), 1, "the repeated ban wrote nothing");
    assert_eq!(page.history[0].action, ModerationAction::BanUser);

    let admin_ban = game.ban_user(admin, admin, at(8), &mut rng).await;
    assert!(
        matches!(admin_ban, Err(ServiceError::Forbidden { .. })),
        "{admin_ban:?}"
    );
    let player_ban = game
        .ban_user(photos[0].0, photos[1].0, at(8), &mut rng)
        .await;
    assert!(
        matches!(player_ban, Err(ServiceError::Forbidden { .. })),
        "{player_ban:?}"
    );

    assert!(
        game.unban_user(admin, banned, at(9), &mut rng)
            .await
            .unwrap()
    );
    assert_eq!(game.authenticate(&token, None).await.unwrap(), banned);
    let board = board_ids(&game, at(10)).await;
    assert!(own.iter().all(|photo| board.contains(photo)), "{board:?}");
    let tagged = tag_board_ids(&game, at(10)).await;
    assert!(own.iter().all(|photo| tagged.contains(photo)), "{tagged:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_comments_leave_the_list_and_the_count_until_restored() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = SmallRng::seed_from_u64(64);
    let (game, admin, photos) = world(dir.path(), 1, &mut rng).await;
    let photo = photos[0].1;
    let author = registered(&game, "Ann", 1, &mut rng).await;
    let mut comments = Vec::new();
    for n in 0..3 {
        let comment = game
            .add_comment(author, photo, &format!("comment {n}"), at(10 + n), &mut rng)
            .await
            .unwrap();
        comments.push(comment.id);
    }
    let listed = async |game: &Game| {
        let (page, _) = game.comments(photo, 50, None).await.unwrap();
        page.iter().map(|comment| comment.id).collect::<Vec<_>>()
    };
    assert!(
        game.hide_comment(admin, comments[1], at(20), &mut rng)
            .await
            .unwrap()
    );
    assert!(
        !game
            .hide_comment(admin, comments[1], at(21), &mut rng)
            .await
            .unwrap()
    );
    assert_eq!(listed(&game).await, vec![comments[0], comments[2]]);
    assert_eq!(game.comment_count(photo).await.unwrap(), 2);
    let flagger = new_user(&game, &mut rng).await;
    let flagged = game
        .flag(
            flagger,
            FlagTarget::Comment(comments[1]),
            "rude",
            "",
            at(22),
        )
        .await;
    assert!(
        matches!(flagged, Err(ServiceError::NotFound { .. })),
        "{flagged:?}"
    );
    let page = game.moderated_comment(admin, comments[1]).await.unwrap();
    assert!(page.hidden);
    assert_eq!(page.comment.text, "comment 1");
    assert_eq!(page.comment.user_name.as_deref(), Some("Ann"));

    assert!(
        game.restore_comment(admin, comments[1], at(23), &mut rng)
            .await
            .unwrap()
    );
    assert_eq!(listed(&game).await, comments);
    assert_eq!(game.comment_count(photo).await.unwrap(), 3);
    let history = game
        .moderated_comment(admin, comments[1])
        .await
        .unwrap()
        .history;
    let actions: Vec<_> = history.iter().map(|entry| entry.action).collect();
    assert_eq!(
        actions,
        vec![
            ModerationAction::HideComment,
            ModerationAction::RestoreComment
        ]
    );
}
