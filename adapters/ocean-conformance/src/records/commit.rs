//! Checks of `commit`: all-or-nothing application, the conflict naming the first failing
//! write, size limits, repeated keys, and concurrent commits (one winner, serialisable).

use futures_util::future::join_all;
use ocean::records::{Condition, Item, Key, MAX_COMMIT_WRITES, Write};
use ocean::{ErrorKind, Records};

use super::support::{
    RACERS, assert_conflict_names_key, assert_stored, check_if, commit_ok, delete_if, get_many_ok,
    item, one_winner, put_if, put_ok,
};
use crate::{assert_kind, unique};

/// Puts, deletes and checks of one commit whose conditions all hold are all applied.
pub async fn commit_applies_every_write(records: &dyn Records) {
    let partition = unique("records-commit");
    let key = |sort: &str| Key::new(partition.clone(), sort);
    let (updated, deleted, checked) = (key("updated"), key("deleted"), key("checked"));
    let (created, upserted) = (key("created"), key("upserted"));
    for existing in [&updated, &deleted, &checked] {
        put_ok(records, item(existing, 1, "before"), "commit set-up").await;
    }
    let new_updated = item(&updated, 2, "after");
    let new_created = item(&created, 1, "created");
    let new_upserted = item(&upserted, 1, "upserted");
    let writes = vec![
        put_if(new_created.clone(), Condition::Absent),
        put_if(new_updated.clone(), Condition::VersionIs(1)),
        delete_if(&deleted, Condition::VersionIs(1)),
        check_if(&checked, Condition::VersionIs(1)),
        Write::put(new_upserted.clone()),
    ];
    commit_ok(records, writes, "a commit whose conditions hold").await;
    let what = "a commit applies every write";
    assert_stored(records, &created, Some(&new_created), what).await;
    assert_stored(records, &updated, Some(&new_updated), what).await;
    assert_stored(records, &deleted, None, what).await;
    assert_stored(records, &checked, Some(&item(&checked, 1, "before")), what).await;
    assert_stored(records, &upserted, Some(&new_upserted), what).await;
}

/// When one condition in the middle of a commit fails, the commit is a conflict naming that
/// write's index and key, and none of its writes is visible.
pub async fn failed_commit_applies_nothing(records: &dyn Records) {
    let partition = unique("records-commit-fails");
    let key = |sort: &str| Key::new(partition.clone(), sort);
    let (created, updated, checked, deleted, upserted) = (
        key("created"),
        key("updated"),
        key("checked"),
        key("deleted"),
        key("upserted"),
    );
    for existing in [&updated, &checked, &deleted] {
        put_ok(records, item(existing, 1, "before"), "failed commit set-up").await;
    }
    let writes = vec![
        put_if(item(&created, 1, "created"), Condition::Absent),
        put_if(item(&updated, 2, "after"), Condition::VersionIs(1)),
        check_if(&checked, Condition::VersionIs(7)),
        delete_if(&deleted, Condition::Always),
        Write::put(item(&upserted, 1, "upserted")),
    ];
    let result = records.commit(writes).await;
    assert_conflict_names_key(&result, &checked, "a commit with a failing check");
    if let Err(error) = &result {
        let message = error.to_string();
        assert!(
            names_number(&message, &checked, 2),
            "a failed commit names the failing write's index (2), got {message:?}"
        );
    }
    let what = "a failed commit applies nothing";
    assert_stored(records, &created, None, what).await;
    assert_stored(records, &updated, Some(&item(&updated, 1, "before")), what).await;
    assert_stored(records, &checked, Some(&item(&checked, 1, "before")), what).await;
    assert_stored(records, &deleted, Some(&item(&deleted, 1, "before")), what).await;
    assert_stored(records, &upserted, None, what).await;
}

/// With several failing conditions, the conflict names the first failing write.
pub async fn commit_conflict_names_the_first_failing_write(records: &dyn Records) {
    let partition = unique("records-commit-first");
    let key = |sort: &str| Key::new(partition.clone(), sort);
    let (fine, first_failing, second_failing) = (key("fine"), key("first"), key("second"));
    put_ok(
        records,
        item(&first_failing, 1, "there"),
        "first failing set-up",
    )
    .await;
    let writes = vec![
        Write::put(item(&fine, 1, "fine")),
        put_if(item(&first_failing, 2, "x"), Condition::Absent),
        Write::put(item(&key("other"), 1, "other")),
        put_if(item(&second_failing, 2, "x"), Condition::VersionIs(1)),
    ];
    let result = records.commit(writes).await;
    assert_conflict_names_key(&result, &first_failing, "a commit with two failing writes");
    if let Err(error) = &result {
        let message = error.to_string();
        assert!(
            names_number(&message, &first_failing, 1),
            "a failed commit names the first failing write's index (1), got {message:?}"
        );
    }
    assert_stored(records, &fine, None, "a failed commit applies nothing").await;
}

/// A commit holds 1 to `MAX_COMMIT_WRITES` writes: none or one too many is invalid (and
/// applies nothing); exactly `MAX_COMMIT_WRITES` works.
pub async fn commit_size_limits(records: &dyn Records) {
    let empty = records.commit(Vec::new()).await;
    assert_kind(&empty, ErrorKind::Invalid, "a commit of no writes");

    let partition = unique("records-commit-size");
    let keys: Vec<Key> = (0..=MAX_COMMIT_WRITES)
        .map(|n| Key::new(partition.clone(), format!("{n:04}")))
        .collect();
    let too_many = keys
        .iter()
        .map(|key| Write::put(item(key, 1, "too many")))
        .collect();
    let result = records.commit(too_many).await;
    assert_kind(
        &result,
        ErrorKind::Invalid,
        "a commit of MAX_COMMIT_WRITES + 1 writes",
    );
    assert_stored(records, &keys[0], None, "an invalid commit applies nothing").await;

    let most = &keys[..MAX_COMMIT_WRITES];
    let writes = most
        .iter()
        .map(|key| put_if(item(key, 1, "most"), Condition::Absent))
        .collect();
    commit_ok(
        records,
        writes,
        "a commit of exactly MAX_COMMIT_WRITES writes",
    )
    .await;
    let stored = get_many_ok(records, most, "a commit of MAX_COMMIT_WRITES writes").await;
    for (key, stored) in most.iter().zip(&stored) {
        assert_eq!(
            stored.as_ref(),
            Some(&item(key, 1, "most")),
            "every write of a MAX_COMMIT_WRITES commit is applied"
        );
    }
}

/// A commit that names one key twice is invalid and applies nothing.
pub async fn commit_with_a_key_twice_is_invalid(records: &dyn Records) {
    let partition = unique("records-commit-twice");
    let twice = Key::new(partition.clone(), "twice");
    let other = Key::new(partition, "other");
    let shapes = [
        vec![
            Write::put(item(&other, 1, "other")),
            Write::put(item(&twice, 1, "a")),
            Write::put(item(&twice, 2, "b")),
        ],
        vec![
            Write::put(item(&other, 1, "other")),
            Write::put(item(&twice, 1, "a")),
            delete_if(&twice, Condition::Always),
        ],
        vec![
            Write::put(item(&other, 1, "other")),
            check_if(&twice, Condition::Absent),
            Write::put(item(&twice, 1, "a")),
        ],
    ];
    for writes in shapes {
        let result = records.commit(writes).await;
        assert_kind(&result, ErrorKind::Invalid, "a commit with a key twice");
        assert_stored(records, &other, None, "an invalid commit applies nothing").await;
        assert_stored(records, &twice, None, "an invalid commit applies nothing").await;
    }
}

/// Of `RACERS` concurrent commits each conditioned on the same version of one item, exactly
/// one applies, wholly; the others are conflicts and apply nothing.
pub async fn concurrent_commits_on_one_version_have_one_winner(records: &dyn Records) {
    let partition = unique("records-commit-race");
    let lock = Key::new(partition.clone(), "lock");
    put_ok(records, item(&lock, 1, "free"), "commit race set-up").await;
    let owned = |racer: usize, n: usize| Key::new(partition.clone(), format!("racer-{racer}-{n}"));
    let commits = (0..RACERS).map(|racer| {
        let mut writes = vec![put_if(
            item(&lock, 2, &format!("racer {racer}")),
            Condition::VersionIs(1),
        )];
        writes.extend((0..3).map(|n| {
            put_if(
                item(&owned(racer, n), 1, &format!("racer {racer}")),
                Condition::Absent,
            )
        }));
        records.commit(writes)
    });
    let results = join_all(commits).await;
    let winner = one_winner(&results, "concurrent commits on one version");
    assert_stored(
        records,
        &lock,
        Some(&item(&lock, 2, &format!("racer {winner}"))),
        "the winning commit's put",
    )
    .await;
    for racer in 0..RACERS {
        for n in 0..3 {
            let key = owned(racer, n);
            let expected = (racer == winner).then(|| item(&key, 1, &format!("racer {racer}")));
            assert_stored(
                records,
                &key,
                expected.as_ref(),
                "the winning commit applies wholly and the others not at all",
            )
            .await;
        }
    }
}

/// Transfers a balance between two items from many concurrent commits (each conditioned on
/// both versions it read): every commit sees the others wholly or not at all, so the total
/// never changes and each applied commit bumps both versions once.
pub async fn concurrent_commits_are_serialisable(records: &dyn Records) {
    const WORKERS: usize = 8;
    const TRANSFERS_PER_WORKER: usize = 4;
    const MAX_ATTEMPTS: usize = 2000;
    let partition = unique("records-serialisable");
    let accounts = [Key::new(partition.clone(), "a"), Key::new(partition, "b")];
    for account in &accounts {
        put_ok(records, item(account, 0, "100"), "serialisable set-up").await;
    }
    let balance = |item: &Item| -> i64 {
        std::str::from_utf8(&item.body)
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| panic!("serialisable: a balance body, got {:?}", item.body))
    };
    let worker = |worker: usize| {
        let accounts = &accounts;
        async move {
            let mut done = 0;
            for _ in 0..MAX_ATTEMPTS {
                let read = get_many_ok(records, accounts, "serialisable read").await;
                let [Some(from), Some(to)] =
                    [read[worker % 2].clone(), read[1 - worker % 2].clone()]
                else {
                    panic!("serialisable: both accounts exist, got {read:?}");
                };
                let amount = i64::try_from(worker + 1).unwrap_or(1);
                let writes = vec![
                    put_if(
                        item(
                            &from.key,
                            from.version + 1,
                            &(balance(&from) - amount).to_string(),
                        ),
                        Condition::VersionIs(from.version),
                    ),
                    put_if(
                        item(
                            &to.key,
                            to.version + 1,
                            &(balance(&to) + amount).to_string(),
                        ),
                        Condition::VersionIs(to.version),
                    ),
                ];
                match records.commit(writes).await {
                    Ok(()) => {
                        done += 1;
                        if done == TRANSFERS_PER_WORKER {
                            return;
                        }
                    }
                    Err(error) if error.kind() == ErrorKind::Conflict => {}
                    Err(error) => panic!("serialisable: a transfer failed: {error:?}"),
                }
            }
            panic!(
                "serialisable: worker {worker} made {done} transfers in {MAX_ATTEMPTS} attempts"
            );
        }
    };
    join_all((0..WORKERS).map(worker)).await;
    let read = get_many_ok(records, &accounts, "serialisable final read").await;
    let finals: Vec<Item> = read
        .into_iter()
        .map(|item| item.expect("serialisable: both accounts still exist"))
        .collect();
    let total: i64 = finals.iter().map(balance).sum();
    assert_eq!(
        total, 200,
        "concurrent commits never lose or duplicate a transfer"
    );
    let applied = (WORKERS * TRANSFERS_PER_WORKER) as u64;
    for account in &finals {
        assert_eq!(
            account.version, applied,
            "each applied commit bumped {} exactly once",
            account.key
        );
    }
}

/// Whether `text`, once `key`'s parts are cut out of it, holds `number` as a whole number.
fn names_number(text: &str, key: &Key, number: usize) -> bool {
    let without_key = text.replace(&key.partition, " ").replace(&key.sort, " ");
    let wanted = number.to_string();
    without_key
        .split(|c: char| !c.is_ascii_digit())
        .any(|token| token == wanted)
}
