//! What a vote costs on AWS: DynamoDB requests, write requests and estimated write capacity
//! units per vote, split by phase, over a 10,000-vote run of the real use cases on the
//! DynamoDB records adapter (moto) with the votes on Kinesis (moto) or the embedded stream.
//!
//! `cargo run --release -p benches --bin aws-cost -- [N_JUDGES] [--embedded-stream]`
//! (10 votes per judge; default 1000 judges = 10,000 votes over 1,000 photos). Needs moto at
//! `OCEAN_TEST_MOTO_URL` (default `http://127.0.0.1:5000`; `scripts/services.sh start`).
//! Each run makes its own table, Kinesis stream and checkpoint table (unique names).
//!
//! Requests are `DynamoRecords::stats()`: reads are `GetItem`/`BatchGetItem`/`Query`, writes
//! are `PutItem`/`DeleteItem`/`TransactWriteItems`/`BatchWriteItem`. The Kinesis adapter's
//! checkpoint table is reached with its own DynamoDB client and is not in those counts (one
//! consistent read and one conditional put per period; added by hand in the report). A
//! counting wrapper around the records port also tallies the items written per partition
//! key, of the table and of each GSI (from the written item's index keys; a delete's or an
//! overwrite's removal from its old GSI partition is not seen), to show whether one
//! partition takes every write.

#![allow(clippy::print_stdout, clippy::print_stderr)] // A report's output is its point.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use async_trait::async_trait;
use benches::embedded_game::game_in;
use ocean::Records;
use ocean::records::{Index, Item, Key, Page, Query, Write};
use ocean_dynamodb::{DynamoRecords, RequestStats};
use ocean_embedded::EmbeddedStream;
use ocean_kinesis::KinesisStream;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{GameConfig, NewPhoto, NewUser, ProcessedMedia, ProposalOptions};
use tourney_core::{MediaType, Timestamp};

const N_PHOTOS: u64 = 1000;
const KINESIS_SHARDS: u32 = 2;

#[tokio::main]
async fn main() -> Result<()> {
    let mut n_judges: u64 = 1000;
    let mut embedded_stream = false;
    for arg in std::env::args().skip(1) {
        if arg == "--embedded-stream" {
            embedded_stream = true;
        } else {
            n_judges = arg.parse().context("N_JUDGES must be a number")?;
        }
    }
    let endpoint =
        std::env::var("OCEAN_TEST_MOTO_URL").unwrap_or_else(|_| "http://127.0.0.1:5000".to_owned());
    let config = ocean_aws::test_config(&endpoint);
    let unique = format!(
        "aws-cost-{}-{}",
        std::process::id(),
        SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis()
    );
    let dynamo = DynamoRecords::new(&config, format!("{unique}-records"));
    dynamo
        .create_table()
        .await
        .with_context(|| format!("creating the table on {endpoint} (is moto up?)"))?;
    let records = Arc::new(Tallied::new(dynamo.clone()));

    let dir = tempfile::tempdir()?;
    let stream: Arc<dyn ocean::Stream> = if embedded_stream {
        Arc::new(EmbeddedStream::open(dir.path())?)
    } else {
        let kinesis = KinesisStream::new(
            &config,
            format!("{unique}-"),
            format!("{unique}-checkpoints"),
            KINESIS_SHARDS,
        );
        kinesis.create_checkpoint_table().await?;
        Arc::new(kinesis)
    };
    let config = GameConfig {
        default_place: "la".to_owned(),
        ..GameConfig::default()
    };
    let game = game_in(dir.path(), records.clone(), stream, config).await?;
    let mut rng = SmallRng::seed_from_u64(1);
    let now = Timestamp::from_millis(1_800_000_000_000);

    // Setup: photographers sign up and post one photo each (not a per-vote cost).
    let (before, started) = (dynamo.stats(), Instant::now());
    let mut phases = Vec::new();
    for n in 0..N_PHOTOS {
        let (owner, _) = game.create_user(NewUser::default(), now, &mut rng).await?;
        let new_photo = NewPhoto {
            category: None,
            media_type: MediaType::Photo,
            content_type: "image/jpeg".to_owned(),
            enter_in_tournament: true,
            set_as_profile_photo: false,
            location: None,
            is_test: false,
            tags: Vec::new(),
        };
        let created = game.create_photo(owner, new_photo, now, &mut rng).await?;
        let ready = ProcessedMedia::Ready {
            content_hash: format!("hash-{n}"),
            renditions: Vec::new(),
        };
        game.finish_processing(&created.photo_id.to_string(), ready)
            .await?;
        if (n + 1) % 100 == 0 {
            eprintln!("setup: {} photos", n + 1);
        }
    }
    phases.push(Phase::close(
        "setup: 1,000 photos posted",
        &dynamo,
        &records,
        before,
        started,
    ));

    // Casting: judges sign up and ask for matches (timed apart), then vote on each.
    let mut judging = Phase::open("casting: judge sign-up + proposals");
    let mut voting = Phase::open("casting: the votes themselves");
    let mut n_votes = 0_u64;
    for n in 0..n_judges {
        if n % 100 == 0 {
            eprintln!("casting: {n} judges, {n_votes} votes");
        }
        let (before, clock) = (dynamo.stats(), Instant::now());
        let (judge, _) = game.create_user(NewUser::default(), now, &mut rng).await?;
        let proposal = game
            .propose(judge, ProposalOptions::default(), now, &mut rng)
            .await?;
        judging.add(before, dynamo.stats(), records.take(), clock.elapsed());
        for proposed in proposal.matches {
            let (before, clock) = (dynamo.stats(), Instant::now());
            game.vote(judge, proposed.match_id, "a", now).await?;
            voting.add(before, dynamo.stats(), records.take(), clock.elapsed());
            n_votes += 1;
        }
    }
    phases.push(judging);
    phases.push(voting);

    // Scoring: rating periods until idle.
    let (before, started) = (dynamo.stats(), Instant::now());
    let (mut n_periods, mut n_scored) = (0_u64, 0_u64);
    loop {
        let report = game.score_period(now).await?;
        if report.idle {
            break;
        }
        n_periods += 1;
        n_scored += report.n_votes as u64;
    }
    anyhow::ensure!(n_scored == n_votes, "every vote scored once");
    let mut scoring = Phase::close("scoring", &dynamo, &records, before, started);
    scoring.name = format!("scoring: {n_periods} period(s)");
    phases.push(scoring);

    print_report(&phases, n_votes, n_periods, embedded_stream);
    Ok(())
}

/// Items written per partition: `table` for the table's `pk`, `gsiN` for index N.
#[derive(Debug, Default, Clone)]
struct Tally {
    /// (where, partition key) -> items written there.
    items: HashMap<(String, String), u64>,
}

impl Tally {
    fn count(&mut self, write: &Write) {
        match write {
            Write::Put { item, .. } => {
                self.bump("table", &item.key.partition);
                for index in Index::all() {
                    if let Some(key) = item.index_key(index) {
                        self.bump(&format!("gsi{}", index.number()), &key.partition);
                    }
                }
            }
            Write::Delete { key, .. } => self.bump("table", &key.partition),
            Write::Check { .. } => {}
        }
    }

    fn bump(&mut self, place: &str, partition: &str) {
        *self
            .items
            .entry((place.to_owned(), partition.to_owned()))
            .or_default() += 1;
    }

    fn merge(&mut self, other: Tally) {
        for (key, n) in other.items {
            *self.items.entry(key).or_default() += n;
        }
    }

    /// Items written to `place` (`table` or `gsiN`).
    fn total(&self, place: &str) -> u64 {
        self.items
            .iter()
            .filter(|((p, _), _)| p == place)
            .map(|(_, n)| n)
            .sum()
    }

    /// The partitions of `place` with the most items written, most first.
    fn hottest(&self, place: &str, n: usize) -> Vec<(String, u64)> {
        let mut all: Vec<(String, u64)> = self
            .items
            .iter()
            .filter(|((p, _), _)| p == place)
            .map(|((_, partition), n)| (partition.clone(), *n))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }

    fn places(&self) -> Vec<String> {
        let mut places: Vec<String> = self.items.keys().map(|(p, _)| p.clone()).collect();
        places.sort();
        places.dedup();
        places
    }

    fn partitions(&self, place: &str) -> usize {
        self.items.keys().filter(|(p, _)| p == place).count()
    }
}

/// The records port, counting items written per partition key on their way through.
#[derive(Debug)]
struct Tallied {
    inner: DynamoRecords,
    tally: Mutex<Tally>,
}

impl Tallied {
    fn new(inner: DynamoRecords) -> Self {
        Tallied {
            inner,
            tally: Mutex::new(Tally::default()),
        }
    }

    fn add(&self, writes: &[Write]) {
        let mut tally = self
            .tally
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for write in writes {
            tally.count(write);
        }
    }

    /// The tally since the last call, reset.
    fn take(&self) -> Tally {
        std::mem::take(
            &mut *self
                .tally
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

#[async_trait]
impl Records for Tallied {
    async fn get(&self, key: &Key) -> ocean::Result<Option<Item>> {
        self.inner.get(key).await
    }

    async fn get_many(&self, keys: &[Key]) -> ocean::Result<Vec<Option<Item>>> {
        self.inner.get_many(keys).await
    }

    async fn query(&self, query: &Query) -> ocean::Result<Page> {
        self.inner.query(query).await
    }

    async fn write(&self, write: Write) -> ocean::Result<()> {
        self.add(std::slice::from_ref(&write));
        self.inner.write(write).await
    }

    async fn commit(&self, writes: Vec<Write>) -> ocean::Result<()> {
        self.add(&writes);
        self.inner.commit(writes).await
    }

    async fn write_batch(&self, writes: Vec<Write>) -> ocean::Result<()> {
        self.add(&writes);
        self.inner.write_batch(writes).await
    }
}

/// One phase's requests, items per partition and wall time.
#[derive(Debug)]
struct Phase {
    name: String,
    stats: RequestStats,
    tally: Tally,
    elapsed: Duration,
}

impl Phase {
    fn open(name: &str) -> Self {
        Phase {
            name: name.to_owned(),
            stats: RequestStats::default(),
            tally: Tally::default(),
            elapsed: Duration::ZERO,
        }
    }

    /// A phase that started at `started`, with the counters at `before`.
    fn close(
        name: &str,
        dynamo: &DynamoRecords,
        records: &Tallied,
        before: RequestStats,
        started: Instant,
    ) -> Self {
        let mut phase = Phase::open(name);
        phase.add(before, dynamo.stats(), records.take(), started.elapsed());
        phase
    }

    fn add(&mut self, before: RequestStats, after: RequestStats, tally: Tally, took: Duration) {
        self.stats.reads += after.reads - before.reads;
        self.stats.writes += after.writes - before.writes;
        self.stats.write_units += after.write_units - before.write_units;
        self.tally.merge(tally);
        self.elapsed += took;
    }
}

fn print_report(phases: &[Phase], n_votes: u64, n_periods: u64, embedded_stream: bool) {
    let stream = if embedded_stream {
        "the embedded stream (SQLite)".to_owned()
    } else {
        format!("Kinesis on moto ({KINESIS_SHARDS} shards), checkpoints in DynamoDB")
    };
    println!(
        "{n_votes} votes over {N_PHOTOS} photos, {n_periods} rating period(s); records on \
         DynamoDB (moto), votes on {stream}"
    );
    println!();
    println!(
        "| phase | wall | requests | reads | write requests | WCU (est.) | items written | \
         requests/vote | write requests/vote | WCU/vote |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let per_vote = |n: u64| n as f64 / n_votes as f64;
    let mut cast = RequestStats::default();
    for phase in phases {
        let s = phase.stats;
        let requests = s.reads + s.writes;
        let items = phase.tally.total("table");
        println!(
            "| {} | {:.1} s | {requests} | {} | {} | {} | {items} | {:.2} | {:.2} | {:.2} |",
            phase.name,
            phase.elapsed.as_secs_f64(),
            s.reads,
            s.writes,
            s.write_units,
            per_vote(requests),
            per_vote(s.writes),
            per_vote(s.write_units),
        );
        if phase.name.starts_with("casting") {
            cast.reads += s.reads;
            cast.writes += s.writes;
            cast.write_units += s.write_units;
        }
    }
    let scoring = phases.last().map(|p| p.stats).unwrap_or_default();
    let total_writes = cast.writes + scoring.writes;
    println!();
    println!(
        "per vote, casting + scoring: {:.2} requests, {:.2} write requests, {:.2} WCU \
         (scoring alone: {:.2} write requests, {:.2} WCU; target <= 2 write requests per vote \
         in scoring: {})",
        per_vote(cast.reads + cast.writes + scoring.reads + scoring.writes),
        per_vote(total_writes),
        per_vote(cast.write_units + scoring.write_units),
        per_vote(scoring.writes),
        per_vote(scoring.write_units),
        if per_vote(scoring.writes) <= 2.0 {
            "met"
        } else {
            "NOT met"
        }
    );
    if !embedded_stream {
        println!(
            "not in the counts above: the Kinesis checkpoint table, 1 read + 1 write per period \
             ({n_periods} + {n_periods}), and {n_votes} Kinesis PutRecords (one per vote)"
        );
    }
    println!();
    println!("hottest partitions (items written; GSI entries from the written items' index keys):");
    for phase in phases {
        for place in phase.tally.places() {
            let total = phase.tally.total(&place);
            let hot: Vec<String> = phase
                .tally
                .hottest(&place, 3)
                .into_iter()
                .map(|(partition, n)| {
                    format!("{partition} {n} ({:.1}%)", 100.0 * n as f64 / total as f64)
                })
                .collect();
            println!(
                "- {}, {place}: {total} items over {} partitions; top: {}",
                phase.name,
                phase.tally.partitions(&place),
                hot.join(", ")
            );
        }
    }
}
