//! The JSON shapes of the `/v1` API (SPEC section 5.1: field names are the contract), and
//! their conversions from the use cases' views.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use ocean::media::{PresignedUpload, UploadMethod};
use serde::{Deserialize, Serialize};
use tourney_core::service::{BoardView, MatchView, PhotoView, PlaceView, TournamentView, UserView};
use tourney_core::{Coordinates, Timestamp};
use utoipa::ToSchema;

use crate::error::ApiError;

/// RFC 3339 UTC text of a time (milliseconds).
pub fn rfc3339(at: Timestamp) -> String {
    let millis = u64::try_from(at.millis()).unwrap_or(0);
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(millis)).to_string()
}

/// `POST /v1/users`: the new user's id and token (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    /// The user's id (32 hex).
    pub id: String,
    /// The bearer token; only its hash is stored.
    pub token: String,
}

/// `POST /v1/users/me/token`: the new token (the old one stops working).
#[derive(Debug, Serialize, ToSchema)]
pub struct NewToken {
    /// The new bearer token.
    pub token: String,
}

/// A place.
#[derive(Debug, Serialize, ToSchema)]
pub struct Place {
    /// Id in the places dataset.
    pub id: String,
    /// Name.
    pub name: String,
    /// Region code.
    pub region: String,
    /// Country code (lowercase).
    pub country: String,
}

impl From<PlaceView> for Place {
    fn from(place: PlaceView) -> Self {
        Self {
            id: place.id,
            name: place.name,
            region: place.region,
            country: place.country,
        }
    }
}

/// A user: the self view (others see the same fields; nothing private is in it yet).
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    /// Id (32 hex).
    pub id: String,
    /// Public name.
    pub user_name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Biography.
    pub biography: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Snapchat handle.
    pub snapchat: Option<String>,
    /// Instagram handle.
    pub instagram: Option<String>,
    /// Category of their photos.
    pub post_category: String,
    /// Category they judge.
    pub view_category: String,
    /// Their place.
    pub place: Option<Place>,
    /// First unmet registration step (`need name`, ...) or `ok`.
    pub registration: String,
    /// Games their photos won.
    pub wins: u64,
    /// Games their photos lost.
    pub losses: u64,
    /// 100 * wins / games; 50.0 with none.
    pub win_loss_ratio: f64,
    /// Profile photo id.
    pub profile_photo: Option<String>,
    /// Sign-up time (RFC 3339).
    pub created_at: String,
}

impl From<UserView> for User {
    fn from(user: UserView) -> Self {
        Self {
            id: user.id.to_string(),
            user_name: user.user_name,
            first_name: user.profile.first_name,
            last_name: user.profile.last_name,
            biography: user.profile.biography,
            website: user.profile.website,
            snapchat: user.profile.snapchat,
            instagram: user.profile.instagram,
            post_category: user.post_category,
            view_category: user.view_category,
            place: user.place.map(Place::from),
            registration: user.registration.as_str().to_owned(),
            wins: user.wins,
            losses: user.losses,
            win_loss_ratio: user.win_loss_ratio,
            profile_photo: user.profile_photo,
            created_at: rfc3339(user.created_at),
        }
    }
}

/// `PATCH /v1/users/me`: any writable field; absent fields stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// Public name (unique, case-insensitively).
    pub user_name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Biography.
    pub biography: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Snapchat handle.
    pub snapchat: Option<String>,
    /// Instagram handle.
    pub instagram: Option<String>,
    /// Category of their photos.
    pub post_category: Option<String>,
    /// Category they judge.
    pub view_category: Option<String>,
    /// `{"lat": .., "lon": ..}`, `"lat,lon"`, or the legacy Geo-Position string.
    #[schema(value_type = Option<LocationInput>)]
    pub location: Option<serde_json::Value>,
    /// The device's Apple push token: registers it for notifications.
    pub apn_device_id: Option<String>,
}

/// A location as a client sends it (documentation only: [`parse_location`] reads the JSON
/// value, so a bad one is refused naming `location`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LocationInput {
    /// Degrees.
    Coordinates {
        /// Latitude, -90 to 90.
        #[schema(minimum = -90.0, maximum = 90.0)]
        lat: f64,
        /// Longitude, -180 to 180.
        #[schema(minimum = -180.0, maximum = 180.0)]
        lon: f64,
    },
    /// `"lat,lon"`, or the legacy Geo-Position string `"lat;lon;..."`.
    Text(String),
}

/// Reads a location given as `{lat, lon}`, `"lat,lon"` or a Geo-Position string.
pub fn parse_location(value: &serde_json::Value) -> Result<Coordinates, ApiError> {
    let invalid = |why: String| ApiError::invalid("location", why);
    match value {
        serde_json::Value::Object(fields) => {
            let number = |name: &str| {
                fields
                    .get(name)
                    .and_then(serde_json::Value::as_f64)
                    .ok_or_else(|| invalid(format!("`{name}` must be a number of degrees")))
            };
            Coordinates::new(number("lat")?, number("lon")?).map_err(|e| invalid(e.to_string()))
        }
        serde_json::Value::String(text) if text.contains(';') => {
            Coordinates::parse_geo_position(text).map_err(|e| invalid(e.to_string()))
        }
        serde_json::Value::String(text) => {
            Coordinates::parse(text).map_err(|e| invalid(e.to_string()))
        }
        _ => Err(invalid(
            "give {\"lat\": .., \"lon\": ..}, \"lat,lon\" or a Geo-Position string".to_owned(),
        )),
    }
}

/// `POST /v1/photos` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPhotoBody {
    /// Category (default: the user's post category).
    pub category: Option<String>,
    /// `photo` (default) or `movie`.
    pub media_type: Option<String>,
    /// `image/jpeg`, `image/png`, `image/webp`, `video/mp4` or `video/quicktime`.
    pub content_type: String,
    /// Whether it competes (default true).
    pub enter_in_tournament: Option<bool>,
    /// Whether it becomes the profile photo once ready (default false).
    pub set_as_profile_photo: Option<bool>,
    /// Tags as typed (at most 20, each 1-50 characters, no '/'; duplicates in any case are
    /// dropped).
    pub tags: Option<Vec<String>>,
    /// Where it was taken (default: the user's place).
    #[schema(value_type = Option<LocationInput>)]
    pub location: Option<serde_json::Value>,
    /// Marks a test photo.
    pub is_test: Option<bool>,
}

/// A presigned direct upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct Upload {
    /// `PUT` or `POST`.
    pub method: String,
    /// Where to send it.
    pub url: String,
    /// Form fields (POST).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// Headers to send exactly (PUT).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// When the URL stops working (RFC 3339).
    pub expires_at: String,
    /// Largest body accepted.
    pub max_bytes: u64,
}

impl From<PresignedUpload> for Upload {
    fn from(upload: PresignedUpload) -> Self {
        let expires_at = humantime::format_rfc3339_seconds(upload.expires_at).to_string();
        Self {
            method: match upload.method {
                UploadMethod::Put => "PUT",
                UploadMethod::Post => "POST",
            }
            .to_owned(),
            url: upload.url,
            fields: upload.fields,
            headers: upload.headers,
            expires_at,
            max_bytes: upload.max_bytes,
        }
    }
}

/// `POST /v1/photos` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedPhoto {
    /// The new photo's id.
    pub id: String,
    /// Its public share page.
    pub share_url: String,
    /// Where to upload its content.
    pub upload: Upload,
}

/// A photo's owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct Owner {
    /// Owner id.
    pub id: String,
    /// Owner's user name, once they chose one.
    pub user_name: Option<String>,
}

/// A photo.
#[derive(Debug, Serialize, ToSchema)]
pub struct Photo {
    /// Id (32 hex).
    pub id: String,
    /// Owner.
    pub owner: Owner,
    /// Category.
    pub category: String,
    /// Place.
    pub place: Place,
    /// `photo` or `movie`.
    pub media_type: String,
    /// `pending_upload`, `processing`, `ready`, `rejected`, `duplicate`, or `hidden` (its owner
    /// sees a photo a moderator hid).
    pub state: String,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// Glicko-2 rating.
    pub score: f64,
    /// Rating deviation, aged to now.
    pub rd: f64,
    /// Games played.
    pub games: u32,
    /// Games won.
    pub wins: u32,
    /// Games lost.
    pub losses: u32,
    /// RD above the provisional threshold.
    pub provisional: bool,
    /// 240 px rendition.
    pub url_small: Option<String>,
    /// 480 px rendition.
    pub url_medium: Option<String>,
    /// 960 px rendition.
    pub url_large: Option<String>,
    /// The original upload.
    pub url_original: Option<String>,
    /// Tags as first typed.
    pub tags: Vec<String>,
    /// Number of comments.
    pub comment_count: u64,
    /// Public share page (HTML with Open Graph tags).
    pub share_url: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

impl From<PhotoView> for Photo {
    fn from(photo: PhotoView) -> Self {
        let url = |name: &str| {
            photo
                .urls
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, url)| url.clone())
        };
        Self {
            id: photo.id.to_string(),
            owner: Owner {
                id: photo.owner.to_string(),
                user_name: photo.owner_name.clone(),
            },
            category: photo.category.clone(),
            place: photo.place.clone().into(),
            media_type: photo.media_type.as_str().to_owned(),
            state: serde_json::to_value(photo.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            rejection_reason: photo.rejection_reason.clone(),
            score: photo.score,
            rd: photo.rd,
            games: photo.games,
            wins: photo.wins,
            losses: photo.losses,
            provisional: photo.provisional,
            url_small: url("small"),
            url_medium: url("medium"),
            url_large: url("large"),
            url_original: url("original"),
            tags: photo.tags.clone(),
            comment_count: photo.comment_count,
            share_url: photo.share_url.clone(),
            created_at: rfc3339(photo.created_at),
        }
    }
}

/// A proposed match.
#[derive(Debug, Serialize, ToSchema)]
pub struct Match {
    /// hex(a) + hex(b), a < b.
    pub match_id: String,
    /// The photo with the smaller id.
    pub photo_a: Photo,
    /// The photo with the larger id.
    pub photo_b: Photo,
    /// a's score change if a wins.
    pub a_win_delta: f64,
    /// a's score change if a loses.
    pub a_lose_delta: f64,
    /// b's score change if b wins.
    pub b_win_delta: f64,
    /// b's score change if b loses.
    pub b_lose_delta: f64,
    /// `a` or `b`: which to show on the left.
    pub left: String,
}

impl From<MatchView> for Match {
    fn from(view: MatchView) -> Self {
        Self {
            match_id: view.match_id.to_string(),
            photo_a: view.photo_a.into(),
            photo_b: view.photo_b.into(),
            a_win_delta: view.a_win_delta,
            a_lose_delta: view.a_lose_delta,
            b_win_delta: view.b_win_delta,
            b_lose_delta: view.b_lose_delta,
            left: view.left.to_owned(),
        }
    }
}

/// `GET /v1/users/me/matches` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Matches {
    /// Up to 10 matches.
    pub matches: Vec<Match>,
    /// A tournament, when one is due.
    pub tournament: Option<Tournament>,
}

/// A 16-photo tournament.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tournament {
    /// Id (32 hex).
    pub id: String,
    /// `local`, `regional` or `global`.
    pub kind: String,
    /// 16 photos in slot order: game i < 8 is photos[2i] v photos[2i+1].
    pub photos: Vec<Photo>,
}

impl From<TournamentView> for Tournament {
    fn from(view: TournamentView) -> Self {
        Self {
            id: view.id.to_string(),
            kind: view.kind.as_str().to_owned(),
            photos: view.photos.into_iter().map(Photo::from).collect(),
        }
    }
}

/// `PUT /v1/users/me/tournaments/{id}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// The 15 winners' photo ids in bracket order.
    pub winners: Vec<String>,
}

/// `PUT /v1/users/me/matches/{match_id}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    /// `a` or `b`.
    pub winner: String,
}

/// What `PUT /v1/users/me/matches/{match_id}` did with the vote, and
/// `PUT /v1/users/me/tournaments/{tournament_id}` with the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteRecorded {
    /// `recorded`: the vote (or the report's 15 games) counts. `held`: it is recorded (the
    /// match or tournament is judged) but held for review and not counted unless an admin
    /// releases it, because it came sooner after the proposal than a person judges
    /// (`app.min_vote_delay_ms`; 15 times that for a tournament report).
    #[schema(pattern = "^(recorded|held)$")]
    pub status: String,
    /// Whether it is held for review (`status` is `held`).
    pub held: bool,
}

impl From<tourney_core::service::VoteOutcome> for VoteRecorded {
    fn from(outcome: tourney_core::service::VoteOutcome) -> Self {
        let held = outcome == tourney_core::service::VoteOutcome::Held;
        Self {
            status: if held { "held" } else { "recorded" }.to_owned(),
            held,
        }
    }
}

/// A win of one of the user's photos.
#[derive(Debug, Serialize, ToSchema)]
pub struct Win {
    /// The winning photo.
    pub photo_id: String,
    /// The photo it beat.
    pub opponent_id: String,
    /// When the vote was cast (RFC 3339).
    pub created_at: String,
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; null at the end.
    pub next_cursor: Option<String>,
}

/// A new comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// 1-300 characters (trimmed; line breaks allowed).
    pub text: String,
}

/// A comment's author.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentAuthor {
    /// User id.
    pub id: String,
    /// Their name.
    pub user_name: Option<String>,
}

/// A comment on a photo.
#[derive(Debug, Serialize, ToSchema)]
pub struct Comment {
    /// Id (32 hex).
    pub id: String,
    /// The photo.
    pub photo_id: String,
    /// The author.
    pub user: CommentAuthor,
    /// The text.
    pub text: String,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<tourney_core::service::CommentView> for Comment {
    fn from(comment: tourney_core::service::CommentView) -> Self {
        Self {
            id: comment.id.to_string(),
            photo_id: comment.photo_id.to_string(),
            user: CommentAuthor {
                id: comment.user_id.to_string(),
                user_name: comment.user_name,
            },
            text: comment.text,
            created_at: rfc3339(comment.created_at),
        }
    }
}

/// A tag found by search.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagHit {
    /// The tag as first typed.
    pub tag: String,
    /// Its best photo.
    pub cover_photo: Photo,
    /// How many competing photos carry it.
    pub n_photos: usize,
}

impl From<tourney_core::service::TagHit> for TagHit {
    fn from(hit: tourney_core::service::TagHit) -> Self {
        Self {
            tag: hit.tag,
            cover_photo: hit.cover.into(),
            n_photos: hit.n_photos,
        }
    }
}

/// A board entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardEntry {
    /// 1-based rank.
    pub rank: usize,
    /// The photo.
    pub photo: Photo,
    /// Glicko-2 rating.
    pub score: f64,
    /// RD aged to now.
    pub rd: f64,
    /// Games played.
    pub games: u32,
    /// RD above the provisional threshold.
    pub provisional: bool,
    /// The ranking key's value.
    pub value: f64,
}

/// A page of a board.
pub fn board_page(view: BoardView) -> List<BoardEntry> {
    List {
        items: view
            .entries
            .into_iter()
            .map(|(rank, entry, photo)| BoardEntry {
                rank,
                photo: photo.into(),
                score: entry.score,
                rd: entry.rd,
                games: entry.games,
                provisional: entry.provisional,
                value: entry.rank_key,
            })
            .collect(),
        next_cursor: view.next_cursor,
    }
}

/// The page size a list route serves: `count` if given (1 to `max`, else 400 naming
/// `count`), else `default`.
pub fn page_count(count: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    let count = count.unwrap_or(default);
    if count == 0 || count > max {
        return Err(ApiError::invalid(
            "count",
            format!("count must be within [1, {max}], got {count}"),
        ));
    }
    Ok(count)
}

/// `?count=&cursor=` of a list route.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    /// Page size.
    pub count: Option<u32>,
    /// Where to continue.
    pub cursor: Option<String>,
}
