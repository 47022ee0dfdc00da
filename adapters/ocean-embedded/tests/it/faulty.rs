//! The fault-injecting wrapper around real embedded ports: a refused call changes nothing, an
//! apply-then-fail call changes the store but reports failure, and a process that "dies"
//! mid-way and restarts finishes its work exactly once thanks to conditional writes.

use std::sync::Arc;

use ocean::records::{Condition, Item, Key, Write};
use ocean::{ErrorKind, Records};
use ocean_conformance::faulty::{FaultMode, FaultPlan, Faulty};
use ocean_embedded::EmbeddedRecords;

fn open_records(dir: &std::path::Path) -> Arc<dyn Records> {
    Arc::new(EmbeddedRecords::open(dir).expect("open records"))
}

fn counter_key(name: &str) -> Key {
    Key::new(name, "total")
}

fn counter(name: &str, version: u64) -> Write {
    let item = Item::new(counter_key(name), version, version.to_string().into_bytes());
    let condition = if version == 1 {
        Condition::Absent
    } else {
        Condition::VersionIs(version - 1)
    };
    Write::Put { item, condition }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_call_changes_nothing_and_later_calls_fail_too() {
    let dir = tempfile::tempdir().unwrap();
    let real = open_records(dir.path());
    let plan = FaultPlan::fail_after(1, FaultMode::Refuse);
    let faulty = Faulty::new(Arc::clone(&real), Arc::clone(&plan));

    faulty
        .write(counter("c", 1))
        .await
        .expect("the first call passes");
    let refused = faulty.write(counter("c", 2)).await;
    assert_eq!(refused.map_err(|e| e.kind()), Err(ErrorKind::Unavailable));
    let after = faulty.get(&counter_key("c")).await;
    assert_eq!(after.map_err(|e| e.kind()), Err(ErrorKind::Unavailable));

    let stored = real.get(&counter_key("c")).await.unwrap().unwrap();
    assert_eq!(
        stored.version, 1,
        "the refused write never reached the store"
    );
    assert_eq!((plan.calls(), plan.faults()), (3, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_then_fail_call_takes_effect_but_reports_failure() {
    let dir = tempfile::tempdir().unwrap();
    let real = open_records(dir.path());
    let plan = FaultPlan::fail_after(0, FaultMode::ApplyThenFail);
    let faulty = Faulty::new(Arc::clone(&real), plan);

    let reported = faulty.write(counter("c", 1)).await;
    assert_eq!(reported.map_err(|e| e.kind()), Err(ErrorKind::Unavailable));
    let stored = real.get(&counter_key("c")).await.unwrap();
    assert_eq!(
        stored.map(|item| item.version),
        Some(1),
        "the write took effect"
    );
}

/// Increments counter `name` up to `to`, one conditional write per step, the way a worker
/// applies a batch: after a crash it rereads the version and goes on from there.
async fn count_to(records: &dyn Records, name: &str, to: u64) -> ocean::Result<()> {
    loop {
        let current = records
            .get(&counter_key(name))
            .await?
            .map_or(0, |item| item.version);
        if current >= to {
            return Ok(());
        }
        match records.write(counter(name, current + 1)).await {
            Ok(()) => {}
            // Another attempt (the one that "died") already applied it: read again.
            Err(e) if e.kind() == ErrorKind::Conflict => {}
            Err(e) => return Err(e),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_at_every_call_still_counts_each_step_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let real = open_records(dir.path());
    let target = 20;
    for crash_at in 0..30 {
        for mode in [FaultMode::Refuse, FaultMode::ApplyThenFail] {
            let name = format!("counter-{crash_at}-{mode:?}");
            let plan = FaultPlan::fail_after(crash_at, mode);
            let faulty = Faulty::new(Arc::clone(&real), Arc::clone(&plan));
            // The first run dies at call `crash_at`; the restarted one finishes.
            let first = count_to(&faulty, &name, target).await;
            assert!(first.is_ok() || plan.tripped(), "{first:?}");
            plan.heal();
            count_to(&faulty, &name, target)
                .await
                .expect("the restarted worker finishes");
            let stored = real.get(&counter_key(&name)).await.unwrap().unwrap();
            assert_eq!(stored.version, target);
            assert_eq!(stored.body, target.to_string().into_bytes());
        }
    }
}
