//! An embedded-backend game for the benches that need many photos: the ports in one
//! directory, and photos seeded fast (one made through the use cases, the rest copies of its
//! stored item written straight through the records port, laid out as the game lays them).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ocean::places::Place;
use ocean::records::{Index, Item, Key};
use ocean::{Records, Stream};
use ocean_embedded::{
    EmbeddedMedia, EmbeddedNotifications, EmbeddedPlaces, EmbeddedQueue, EmbeddedRecords,
    EmbeddedSearch, MediaOptions, PlacesOptions, QueueOptions,
};
use rand::RngExt as _;
use rand::rngs::SmallRng;
use tourney_core::service::{Game, GameConfig, GamePorts, NewPhoto, NewUser, ProcessedMedia};
use tourney_core::{MediaType, PhotoId, Timestamp, UserId};

/// Photos per write batch while seeding.
const SEED_BATCH: usize = 5_000;

/// What [`seed_photos`] makes.
#[derive(Debug, Clone)]
pub struct Seeding {
    /// Photos in all.
    pub photos: usize,
    /// Photos each owner has.
    pub photos_per_owner: usize,
    /// Posting times spread evenly at random over this span before `now` (zero: all at
    /// the template's instant).
    pub posted_over: Duration,
    /// Whether each copy gets a random rating (1000-2000, RD 30-350) instead of the new
    /// photo's.
    pub random_ratings: bool,
}

/// Makes one photo through the use cases, then `options.photos - 1` copies of its item
/// through the records port, and returns every photo's id.
pub async fn seed_photos(
    game: &Game,
    records: &EmbeddedRecords,
    options: &Seeding,
    now: Timestamp,
    rng: &mut SmallRng,
) -> Result<Vec<PhotoId>> {
    let (owner, _) = game.create_user(NewUser::default(), now, rng).await?;
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
    let created = game.create_photo(owner, new_photo, now, rng).await?;
    let ready = ProcessedMedia::Ready {
        content_hash: "hash-template".to_owned(),
        renditions: Vec::new(),
    };
    let template_id = created.photo_id;
    game.finish_processing(&template_id.to_string(), ready)
        .await?;
    let template = records
        .get(&photo_key(&template_id.to_string()))
        .await?
        .context("the template photo is stored")?;
    let body: serde_json::Value = serde_json::from_slice(&template.body)?;
    let category = body["category"]
        .as_str()
        .context("a photo has a category")?
        .to_owned();
    let created_at = body["created_at"]
        .as_i64()
        .context("a photo has created_at")?;
    let [_, local, regional, _] = &template.index_keys;
    let (Some(local), Some(regional)) = (local, regional) else {
        bail!("the template photo is in its pools");
    };

    let mut photo_ids = vec![template_id];
    let mut batch = Vec::with_capacity(SEED_BATCH);
    let mut owner = UserId::generate(now, rng).to_string();
    for n in 1..options.photos {
        if n % options.photos_per_owner == 0 {
            owner = UserId::generate(now, rng).to_string();
        }
        let photo_id = PhotoId::generate(now, rng);
        let id = photo_id.to_string();
        let mut body = body.clone();
        body["id"] = id.clone().into();
        body["owner"] = owner.clone().into();
        body["content_hash"] = format!("hash-{n}").into();
        let posted_ms = if options.posted_over.is_zero() {
            created_at
        } else {
            let span = i64::try_from(options.posted_over.as_millis()).unwrap_or(i64::MAX);
            now.millis() - rng.random_range(0..span)
        };
        body["created_at"] = posted_ms.into();
        if options.random_ratings {
            body["rating"]["r"] = rng.random_range(1000.0..2000.0).into();
            body["rating"]["rd"] = rng.random_range(30.0..350.0).into();
            body["rating"]["last_rated"] = now.millis().into();
        }
        let posted = format!("{:015}#{id}", posted_ms.max(0));
        // The global pool's shard is a hash of the id in the game; any of its 8 shards
        // costs the same here, and scoring rewrites the item with the game's own keys.
        let item = Item::new(photo_key(&id), 1, serde_json::to_vec(&body)?)
            .with_index_key(index(0), Key::new(format!("o#{owner}"), posted.clone()))
            .with_index_key(index(1), Key::new(local.partition.clone(), posted.clone()))
            .with_index_key(
                index(2),
                Key::new(regional.partition.clone(), posted.clone()),
            )
            .with_index_key(
                index(3),
                Key::new(format!("pool#{category}#{}", n % 8), posted),
            );
        batch.push(ocean::records::Write::put(item));
        photo_ids.push(photo_id);
        if batch.len() == SEED_BATCH {
            records.write_batch(std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        records.write_batch(batch).await?;
    }
    Ok(photo_ids)
}

/// A photo record's key, as the game writes it.
pub fn photo_key(photo_id: &str) -> Key {
    Key::new(format!("p#{photo_id}"), "photo")
}

/// Secondary index `n`.
fn index(n: u8) -> Index {
    Index::new(n).expect("indexes 0 to 3 exist")
}

/// A game over `records` and `stream` (embedded or not) and the other ports embedded in
/// `dir`, with one place, `la` (Los Angeles), which new users and photos get.
pub async fn game_in(
    dir: &std::path::Path,
    records: Arc<dyn Records>,
    stream: Arc<dyn Stream>,
    config: GameConfig,
) -> Result<Game> {
    let places = EmbeddedPlaces::open(
        dir,
        PlacesOptions {
            load_default_dataset: false,
        },
    )?;
    let la = Place {
        id: "la".to_owned(),
        name: "Los Angeles".to_owned(),
        region: "CA".to_owned(),
        country: "us".to_owned(),
        lat: 34.05,
        lon: -118.24,
        population: None,
    };
    ocean::Places::load(&places, vec![la]).await?;
    let ports = GamePorts {
        records,
        media: Arc::new(EmbeddedMedia::open(
            dir,
            MediaOptions {
                public_url: "http://127.0.0.1:8080".to_owned(),
                signing_key: None,
            },
        )?),
        stream,
        queue: Arc::new(EmbeddedQueue::open(dir, QueueOptions { max_receives: 5 })?),
        places: Arc::new(places),
        search: Arc::new(EmbeddedSearch::open(dir)?),
        notifications: Arc::new(EmbeddedNotifications::open(dir)?),
        identity: None,
    };
    Ok(Game::new(ports, config))
}
