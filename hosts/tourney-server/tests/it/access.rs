//! Access control, table-driven: every served route called by each of five callers
//! (anonymous, a banned user, another user, an admin, the owner of what the route names)
//! with the status each must get, and no answer to anyone leaking a token, a token's hash,
//! or another user's private fields (their e-mail from Facebook, their push device).
//!
//! The statuses follow SPEC section 5: 401 without valid credentials (a banned account's
//! token stops working), 403 for an authenticated caller who may not (someone else's
//! photo, the admin area for anyone but an admin), 404 for what is not there for this
//! caller (a match proposed to someone else). Routes under `/v1/users/me` act on the
//! caller, so every signed-in caller is their owner there.

use std::collections::BTreeSet;

use ocean::settings::IdentityBackend;
use ocean_conformance::fake_graph::FakeGraph;
use serde_json::{Value, json};
use tourney_core::UserId;
use tourney_core::service::Role;
use tourney_server::SERVED_ROUTES;

use crate::flags::comment_on;
use crate::support::{
    TestResponse, TestServer, add_test_places, call, drain, ready_photos_with, registered, sign_up,
    upload_with,
};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// No credentials.
    Anonymous,
    /// A registered user an admin banned.
    Banned,
    /// A registered user who owns nothing the route names.
    Other,
    /// A registered user with the admin role.
    Admin,
    /// The registered user who owns what the route names.
    Owner,
}

/// The order of the calls to one route: the owner last, so a route that changes or removes
/// something (a delete) is refused to the others before the owner's call goes through.
const CALLERS: [Caller; 5] = [
    Caller::Anonymous,
    Caller::Banned,
    Caller::Other,
    Caller::Admin,
    Caller::Owner,
];

/// One route's row: the request, and the status each caller (in [`CALLERS`] order) gets.
#[derive(Debug)]
struct Row {
    method: &'static str,
    template: &'static str,
    path: String,
    body: Option<Value>,
    expected: [u16; 5],
}

/// Every caller gets `status` (a route that takes no credentials).
fn public(status: u16) -> [u16; 5] {
    [status; 5]
}

/// 401 without valid credentials, `status` for every signed-in caller.
fn signed_in(status: u16) -> [u16; 5] {
    [401, 401, status, status, status]
}

/// 401 without valid credentials, `owner` for the owner, `others` for the other signed-in
/// callers (the admin included: owning is not moderating).
fn owner_only(owner: u16, others: u16) -> [u16; 5] {
    [401, 401, others, others, owner]
}

/// The admin area: 401 without valid credentials, 403 for everyone but the admin.
fn admin_only(admin: u16) -> [u16; 5] {
    [401, 401, 403, admin, 403]
}

/// The five callers' credentials and what they own.
struct World {
    server: TestServer,
    /// Ids of anonymous (empty), banned, other, admin, owner.
    ids: [String; 5],
    /// Tokens, same order (anonymous: none).
    tokens: [Option<String>; 5],
    /// Every token any caller held, for the leak check.
    all_tokens: Vec<String>,
    /// Private values of the owner's that no one else may see.
    owner_secrets: Vec<String>,
    owner_name: String,
    /// The owner's ready photo, tagged `sunset`.
    photo: String,
    /// Another photo of the owner's, for the delete.
    doomed_photo: String,
    /// A photographer's photo (neither the owner's nor another caller's).
    their_photo: String,
    /// The owner's comment on `photo`.
    comment: String,
    /// A match proposed to the owner.
    owner_match: String,
    /// A user the admin bans and unbans.
    target: String,
    /// Two votes held for review (cast right after their proposal): the admin releases
    /// the first and discards the second.
    held_votes: [String; 2],
    /// The owner's Facebook account id and token (linked).
    facebook_id: String,
    facebook_token: String,
    /// A presigned upload URL of the owner's (its signature is the credential).
    upload_url: String,
    /// The path of the owner's photo's small rendition.
    media_path: String,
    /// Keeps the fake Graph API up.
    _graph: FakeGraph,
}

impl World {
    fn index(caller: Caller) -> usize {
        CALLERS.iter().position(|c| *c == caller).expect("a caller")
    }

    fn id(&self, caller: Caller) -> &str {
        &self.ids[Self::index(caller)]
    }

    async fn build() -> Self {
        let graph = FakeGraph::start().await.expect("fake graph");
        let graph_url = graph.url().to_owned();
        let server = TestServer::start_embedded_with(
            move |settings| {
                settings.identity = IdentityBackend::Facebook {
                    graph_url,
                    api_version: "v19.0".to_owned(),
                    timeout_secs: 5,
                };
                // Votes right after their proposal are held (answered 200 all the same).
                settings.app.min_vote_delay_ms = 60_000;
            },
            |state| state,
        )
        .await;
        add_test_places(&server).await;
        let (owner, owner_token) = registered(&server, "access-owner", 9101).await;
        let (other, other_token) = registered(&server, "access-other", 9102).await;
        let (admin, admin_token) = registered(&server, "access-admin", 9103).await;
        let (banned, banned_token) = registered(&server, "access-banned", 9104).await;
        let (target, _) = sign_up(&server).await;
        server
            .game
            .set_role(UserId::parse(&admin).expect("id"), Role::Admin)
            .await
            .expect("the admin role, as `create-admin --user` gives it");
        let ban = format!("/admin/users/{banned}/ban");
        let banned_now = call(&server, "POST", &ban, &admin_token, None).await;
        assert_eq!(banned_now.status, 303, "{}", banned_now.text());

        // Photos: three photographers' and two of the owner's, all tagged `sunset`.
        let tagged = json!({"content_type": "image/jpeg", "tags": ["sunset"]});
        let theirs = ready_photos_with(
            &server,
            &[tagged.clone(), tagged.clone(), tagged.clone()],
            9110,
        )
        .await;
        let photo = upload_with(
            &server,
            &owner_token,
            tagged.clone(),
            tourney_media::generate_demo_image(9120, 96, 72),
        )
        .await;
        let doomed_photo = upload_with(
            &server,
            &owner_token,
            tagged,
            tourney_media::generate_demo_image(9121, 96, 72),
        )
        .await;
        drain(&server).await;
        let comment = comment_on(&server, &owner_token, &photo, "mine").await;
        let held_votes = hold_two_votes(&server, &admin_token).await;

        // The owner's private things: a push device and a linked Facebook account (whose
        // e-mail the sync reads).
        let device = "apn-device-of-the-owner-0123456789abcdef".to_owned();
        let patch = json!({"apn_device_id": device});
        let patched = call(&server, "PATCH", "/v1/users/me", &owner_token, Some(patch)).await;
        assert_eq!(patched.status, 200, "{}", patched.text());
        let account = graph.sample_account("Owner", "Access");
        graph.add_account(&account.token, account.profile.clone());
        let link = json!({"token": account.token});
        let linked = call(
            &server,
            "PUT",
            "/v1/users/me/facebook",
            &owner_token,
            Some(link),
        )
        .await;
        assert_eq!(linked.status, 200, "{}", linked.text());
        drain(&server).await;
        let email = account
            .profile
            .email
            .clone()
            .expect("the sample has an e-mail");

        let proposed = call(&server, "GET", "/v1/users/me/matches", &owner_token, None).await;
        assert_eq!(proposed.status, 200, "{}", proposed.text());
        let owner_match = proposed.json()["matches"][0]["match_id"]
            .as_str()
            .expect("a match for the owner")
            .to_owned();

        let created = call(
            &server,
            "POST",
            "/v1/photos",
            &owner_token,
            Some(json!({"content_type": "image/png"})),
        )
        .await;
        assert_eq!(created.status, 202, "{}", created.text());
        let upload_url = created.json()["upload"]["url"]
            .as_str()
            .expect("an upload url")
            .to_owned();
        let view = call(
            &server,
            "GET",
            &format!("/v1/photos/{photo}"),
            &owner_token,
            None,
        )
        .await
        .json();
        let small = view["url_small"].as_str().expect("a small rendition");
        let media_path = small
            .strip_prefix(&server.base_url())
            .expect("a url on this server")
            .to_owned();

        let tokens = [
            None,
            Some(banned_token.clone()),
            Some(other_token.clone()),
            Some(admin_token.clone()),
            Some(owner_token.clone()),
        ];
        Self {
            server,
            ids: [String::new(), banned, other, admin, owner],
            tokens,
            all_tokens: vec![
                banned_token,
                other_token,
                admin_token,
                owner_token,
                account.token.clone(),
            ],
            owner_secrets: vec![device, email],
            owner_name: "access-owner".to_owned(),
            photo,
            doomed_photo,
            their_photo: theirs[0].id.clone(),
            comment,
            owner_match,
            target,
            held_votes,
            facebook_id: account.profile.id.clone(),
            facebook_token: account.token,
            upload_url,
            media_path,
            _graph: graph,
        }
    }

    /// The table, in the order it runs: what only reads first, then what changes things,
    /// then token rotation, then account deletion.
    fn rows(&self) -> Vec<Row> {
        let owner = self.id(Caller::Owner);
        let other = self.id(Caller::Other);
        let photo = &self.photo;
        let unknown = "0123456789abcdef0123456789abcdef";
        let fifteen: Vec<&str> = vec![unknown; 15];
        let row = |method, template, path: String, body: Option<Value>, expected| Row {
            method,
            template,
            path,
            body,
            expected,
        };
        vec![
            row("GET", "/health", "/health".into(), None, public(200)),
            row("GET", "/metrics", "/metrics".into(), None, public(200)),
            row("GET", "/v1/test", "/v1/test".into(), None, public(200)),
            row(
                "GET",
                "/v1/test_auth",
                "/v1/test_auth".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/test_location_db",
                "/v1/test_location_db".into(),
                None,
                public(200),
            ),
            row(
                "GET",
                "/v1/test_search_db",
                "/v1/test_search_db".into(),
                None,
                public(200),
            ),
            row("GET", "/v1/config", "/v1/config".into(), None, public(200)),
            row(
                "GET",
                "/openapi.json",
                "/openapi.json".into(),
                None,
                public(200),
            ),
            row("GET", "/docs", "/docs".into(), None, public(200)),
            row(
                "GET",
                "/docs/swagger-ui.css",
                "/docs/swagger-ui.css".into(),
                None,
                public(200),
            ),
            row(
                "GET",
                "/docs/swagger-ui-bundle.js",
                "/docs/swagger-ui-bundle.js".into(),
                None,
                public(200),
            ),
            // Users.
            row(
                "GET",
                "/v1/users/me",
                "/v1/users/me".into(),
                None,
                signed_in(200),
            ),
            row(
                "PATCH",
                "/v1/users/me",
                "/v1/users/me".into(),
                Some(json!({"biography": "hi"})),
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/{user_id}",
                format!("/v1/users/{owner}"),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/user_names/{name}",
                format!("/v1/user_names/{}", self.owner_name),
                None,
                public(204),
            ),
            row(
                "GET",
                "/v1/users_by_name/{name}",
                format!("/v1/users_by_name/{}", self.owner_name),
                None,
                signed_in(200),
            ),
            // Re-linking one's own account is fine; someone else's is taken.
            row(
                "PUT",
                "/v1/users/me/facebook",
                "/v1/users/me/facebook".into(),
                Some(json!({"token": self.facebook_token})),
                owner_only(200, 409),
            ),
            // The Facebook token is the credential: whoever holds it logs in as the owner.
            row(
                "GET",
                "/v1/users_by_facebook/{facebook_id}",
                format!(
                    "/v1/users_by_facebook/{}?token={}",
                    self.facebook_id, self.facebook_token
                ),
                None,
                public(200),
            ),
            // Photos.
            row(
                "POST",
                "/v1/photos",
                "/v1/photos".into(),
                Some(json!({"content_type": "image/jpeg"})),
                signed_in(202),
            ),
            row(
                "POST",
                "/v1/photos/{photo_id}/uploaded",
                format!("/v1/photos/{photo}/uploaded"),
                None,
                owner_only(200, 403),
            ),
            row(
                "GET",
                "/v1/photos/{photo_id}",
                format!("/v1/photos/{photo}"),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/{user_id}/photos",
                format!("/v1/users/{owner}/photos"),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/me/photos/{size}",
                "/v1/users/me/photos/small".into(),
                None,
                signed_in(302),
            ),
            row(
                "GET",
                "/v1/photos/{photo_id}/comments",
                format!("/v1/photos/{photo}/comments"),
                None,
                signed_in(200),
            ),
            row(
                "POST",
                "/v1/photos/{photo_id}/comments",
                format!("/v1/photos/{photo}/comments"),
                Some(json!({"text": "nice"})),
                signed_in(201),
            ),
            // A photo's awards are its owner's to read.
            row(
                "GET",
                "/v1/photos/{photo_id}/awards",
                format!("/v1/photos/{photo}/awards"),
                None,
                owner_only(200, 403),
            ),
            row(
                "GET",
                "/v1/photo_share/{photo_id}",
                format!("/v1/photo_share/{photo}"),
                None,
                public(200),
            ),
            row("GET", "/{photo_id}", format!("/{photo}"), None, public(200)),
            row(
                "PUT",
                "/v1/tags/{tag}/{photo_id}",
                format!("/v1/tags/golden/{photo}"),
                None,
                owner_only(200, 403),
            ),
            // Media: the URL's signature is the credential, whoever sends it.
            row(
                "GET",
                "/media/{key}",
                self.media_path.clone(),
                None,
                public(200),
            ),
            row(
                "PUT",
                "/media/upload/{key}",
                self.upload_url.clone(),
                None,
                public(200),
            ),
            // The game: a match is votable only by the judge it was proposed to (before
            // the others ask for matches: a small pool proposes the same pairs to all),
            // and every judge gets their own proposals.
            row(
                "PUT",
                "/v1/users/me/matches/{id}",
                format!("/v1/users/me/matches/{}", self.owner_match),
                Some(json!({"winner": "a"})),
                owner_only(200, 404),
            ),
            row(
                "GET",
                "/v1/users/me/matches",
                "/v1/users/me/matches".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/me/tag_matches/{tag}",
                "/v1/users/me/tag_matches/sunset".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/me/matches/{id}",
                format!("/v1/users/me/matches/{}", self.their_photo),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/me/wins",
                "/v1/users/me/wins".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/me/tournaments/{tournament_id}",
                format!("/v1/users/me/tournaments/{unknown}"),
                None,
                signed_in(404),
            ),
            row(
                "PUT",
                "/v1/users/me/tournaments/{tournament_id}",
                format!("/v1/users/me/tournaments/{unknown}"),
                Some(json!({"winners": fifteen})),
                signed_in(404),
            ),
            row(
                "GET",
                "/v1/leaderboards/{category}",
                "/v1/leaderboards/female".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/leaderboards/{category}/{place}",
                "/v1/leaderboards/female/all".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/tags/search/{category}/{term}",
                "/v1/tags/search/female/sun".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/tags/trending/{category}",
                "/v1/tags/trending/female".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/tags/{category}",
                "/v1/tags/female".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/tags/{category}/{tag}",
                "/v1/tags/female/sunset".into(),
                None,
                signed_in(200),
            ),
            // Social: following yourself is refused.
            row(
                "POST",
                "/v1/users/me/following",
                "/v1/users/me/following".into(),
                Some(json!({"user_id": owner})),
                owner_only(400, 200),
            ),
            row(
                "GET",
                "/v1/users/me/following",
                "/v1/users/me/following".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/me/followers",
                "/v1/users/me/followers".into(),
                None,
                signed_in(200),
            ),
            // "Does the other user follow me": yes for the owner only.
            row(
                "GET",
                "/v1/users/me/followers/{user_id}",
                format!("/v1/users/me/followers/{other}"),
                None,
                owner_only(204, 404),
            ),
            // Unfollowing is idempotent: not following yourself already, nothing to undo.
            row(
                "DELETE",
                "/v1/users/me/following",
                "/v1/users/me/following".into(),
                Some(json!({"user_id": owner})),
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/me/feed",
                "/v1/users/me/feed".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/me/activity",
                "/v1/users/me/activity".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/me/notification_history",
                "/v1/users/me/notification_history".into(),
                None,
                signed_in(200),
            ),
            row(
                "GET",
                "/v1/users/me/notification_settings",
                "/v1/users/me/notification_settings".into(),
                None,
                signed_in(200),
            ),
            row(
                "PATCH",
                "/v1/users/me/notification_settings",
                "/v1/users/me/notification_settings".into(),
                Some(json!({"new_photo": true})),
                signed_in(200),
            ),
            // Only the owner registered a push device.
            row(
                "POST",
                "/v1/test_push",
                "/v1/test_push".into(),
                None,
                owner_only(204, 409),
            ),
            // Flags: anyone signed in, once per object (the second is a 409: flags.rs).
            row(
                "POST",
                "/v1/users/{user_id}/flags",
                format!("/v1/users/{owner}/flags"),
                Some(json!({"reason": "spam"})),
                signed_in(200),
            ),
            row(
                "POST",
                "/v1/photos/{photo_id}/flags",
                format!("/v1/photos/{photo}/flags"),
                Some(json!({"reason": "spam"})),
                signed_in(200),
            ),
            row(
                "POST",
                "/v1/photo_comments/{comment_id}/flags",
                format!("/v1/photo_comments/{}/flags", self.comment),
                Some(json!({"reason": "spam"})),
                signed_in(200),
            ),
            // The admin area.
            row("GET", "/admin", "/admin".into(), None, admin_only(200)),
            row(
                "GET",
                "/admin/held_votes",
                "/admin/held_votes".into(),
                None,
                admin_only(200),
            ),
            row(
                "GET",
                "/admin/users/{user_id}",
                format!("/admin/users/{owner}"),
                None,
                admin_only(200),
            ),
            row(
                "GET",
                "/admin/photos/{photo_id}",
                format!("/admin/photos/{photo}"),
                None,
                admin_only(200),
            ),
            row(
                "GET",
                "/admin/comments/{comment_id}",
                format!("/admin/comments/{}", self.comment),
                None,
                admin_only(200),
            ),
            row(
                "POST",
                "/admin/photos/{photo_id}/hide",
                format!("/admin/photos/{photo}/hide"),
                None,
                admin_only(303),
            ),
            row(
                "POST",
                "/admin/photos/{photo_id}/restore",
                format!("/admin/photos/{photo}/restore"),
                None,
                admin_only(303),
            ),
            row(
                "POST",
                "/admin/comments/{comment_id}/hide",
                format!("/admin/comments/{}/hide", self.comment),
                None,
                admin_only(303),
            ),
            row(
                "POST",
                "/admin/comments/{comment_id}/restore",
                format!("/admin/comments/{}/restore", self.comment),
                None,
                admin_only(303),
            ),
            row(
                "POST",
                "/admin/flags/{kind}/{object_id}/{flagger_id}/resolve",
                format!("/admin/flags/photo/{photo}/{other}/resolve"),
                None,
                admin_only(303),
            ),
            row(
                "POST",
                "/admin/held_votes/{vote_id}/release",
                format!("/admin/held_votes/{}/release", self.held_votes[0]),
                None,
                admin_only(303),
            ),
            row(
                "POST",
                "/admin/held_votes/{vote_id}/discard",
                format!("/admin/held_votes/{}/discard", self.held_votes[1]),
                None,
                admin_only(303),
            ),
            row(
                "POST",
                "/admin/users/{user_id}/ban",
                format!("/admin/users/{}/ban", self.target),
                None,
                admin_only(303),
            ),
            row(
                "POST",
                "/admin/users/{user_id}/unban",
                format!("/admin/users/{}/unban", self.target),
                None,
                admin_only(303),
            ),
            // What removes things, last.
            row(
                "DELETE",
                "/v1/photos/{photo_id}",
                format!("/v1/photos/{}", self.doomed_photo),
                None,
                owner_only(204, 403),
            ),
            row("POST", "/v1/users", "/v1/users".into(), None, public(201)),
            row(
                "POST",
                "/v1/users/me/token",
                "/v1/users/me/token".into(),
                None,
                signed_in(200),
            ),
            row(
                "DELETE",
                "/v1/users/me",
                "/v1/users/me".into(),
                None,
                signed_in(204),
            ),
        ]
    }

    /// `row`'s request as `caller`.
    async fn send(&self, row: &Row, caller: Caller) -> TestResponse {
        let token = self.tokens[Self::index(caller)].clone();
        let authorization = token.map(|token| format!("Bearer {token}"));
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(authorization) = &authorization {
            headers.push(("authorization", authorization));
        }
        let mut body = Vec::new();
        if let Some(json) = &row.body {
            headers.push(("content-type", "application/json"));
            body = serde_json::to_vec(json).expect("json");
        }
        if row.template == "/media/upload/{key}" {
            headers.push(("content-type", "image/png"));
            body = b"png bytes".to_vec();
        }
        self.server
            .request(row.method, &row.path, &headers, body)
            .await
    }

    /// What no answer to `caller` may contain: every token and token hash (except, where a
    /// route hands out a token, the one it hands out), and the owner's private values to
    /// anyone but the owner.
    fn forbidden_in_answer(&self, caller: Caller, handed_out: Option<&str>) -> Vec<String> {
        let mut forbidden = Vec::new();
        for token in &self.all_tokens {
            if Some(token.as_str()) != handed_out {
                forbidden.push(token.clone());
            }
            forbidden.push(tourney_media::content_hash(token.as_bytes()));
        }
        if caller != Caller::Owner {
            forbidden.extend(self.owner_secrets.iter().cloned());
        }
        forbidden
    }
}

/// Two votes held for review, by a judge who is none of the callers (proposals to a
/// caller would change what the table's game rows answer): their ids, as the admin
/// (`admin_token`) sees them listed.
async fn hold_two_votes(server: &TestServer, admin_token: &str) -> [String; 2] {
    let (_, judge) = sign_up(server).await;
    let proposed = call(server, "GET", "/v1/users/me/matches", &judge, None).await;
    assert_eq!(proposed.status, 200, "{}", proposed.text());
    let matches = proposed.json()["matches"].clone();
    for n in 0..2 {
        let match_id = matches[n]["match_id"].as_str().expect("two matches");
        let path = format!("/v1/users/me/matches/{match_id}");
        let voted = call(server, "PUT", &path, &judge, Some(json!({"winner": "a"}))).await;
        assert_eq!(voted.json()["status"], "held", "{}", voted.text());
    }
    let listed = crate::abuse::held_vote_ids(server, &format!("Bearer {admin_token}")).await;
    listed.try_into().expect("two held votes")
}

/// The token a route hands out in its answer: sign-up, rotation and the Facebook login.
fn token_handed_out(row: &Row, response: &TestResponse) -> Option<String> {
    let hands_out = matches!(
        row.template,
        "/v1/users" | "/v1/users/me/token" | "/v1/users_by_facebook/{facebook_id}"
    );
    if !hands_out || !(200..300).contains(&response.status) {
        return None;
    }
    response.json()["token"].as_str().map(str::to_owned)
}

/// Every JSON object key in `value`, recursively.
fn keys_of(value: &Value, keys: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                keys.insert(key.clone());
                keys_of(field, keys);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys_of(item, keys)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_each_caller_as_the_table_says_and_leaks_nothing() {
    let mut world = World::build().await;
    let rows = world.rows();

    // The table covers every served route exactly once.
    let listed: Vec<(&str, &str)> = rows.iter().map(|row| (row.method, row.template)).collect();
    let served: BTreeSet<(&str, &str)> = SERVED_ROUTES
        .iter()
        .map(|route| (route.method, route.path))
        .collect();
    assert_eq!(
        listed.iter().copied().collect::<BTreeSet<_>>(),
        served,
        "the table lists exactly the served routes"
    );
    assert_eq!(listed.len(), served.len(), "each route once");

    // The OpenAPI document asks for credentials exactly where anonymous callers get 401.
    let document = serde_json::to_value(tourney_server::openapi()).expect("json");
    for row in &rows {
        let operation = &document["paths"][row.template][row.method.to_ascii_lowercase()];
        let documented = operation["security"]
            .as_array()
            .is_some_and(|s| !s.is_empty());
        assert_eq!(
            documented,
            row.expected[0] == 401,
            "{} {}: security in the OpenAPI document",
            row.method,
            row.template
        );
    }

    let mut mismatches = Vec::new();
    for row in &rows {
        for (caller_idx, caller) in CALLERS.into_iter().enumerate() {
            let response = world.send(row, caller).await;
            let expected = row.expected[caller_idx];
            if response.status != expected {
                mismatches.push(format!(
                    "{} {} as {caller:?}: {} (expected {expected}): {}",
                    row.method,
                    row.path,
                    response.status,
                    response.text().chars().take(200).collect::<String>()
                ));
            }
            let handed_out = token_handed_out(row, &response);
            let text = response.text();
            let shown: String = text.chars().take(300).collect();
            for secret in world.forbidden_in_answer(caller, handed_out.as_deref()) {
                assert!(
                    !text.contains(&secret),
                    "{} {} as {caller:?} leaks {secret:?}: {shown}",
                    row.method,
                    row.path
                );
            }
            // Field names of the data answered (the OpenAPI document names fields, it holds none).
            let is_data = row.template != "/openapi.json";
            if is_data
                && response
                    .header("content-type")
                    .starts_with("application/json")
            {
                let mut keys = BTreeSet::new();
                keys_of(&response.json(), &mut keys);
                for key in &keys {
                    let private = key.contains("hash")
                        || key.contains("device")
                        || key.contains("email")
                        || key.contains("facebook")
                        || (key.contains("token") && handed_out.is_none());
                    assert!(
                        !private,
                        "{} {} as {caller:?} answers a private field {key:?}: {shown}",
                        row.method, row.path
                    );
                }
            }
            if let Some(token) = handed_out {
                world.all_tokens.push(token.clone());
                if row.template == "/v1/users/me/token" {
                    world.tokens[World::index(caller)] = Some(token);
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} calls got another status:\n{}",
        mismatches.len(),
        rows.len() * CALLERS.len(),
        mismatches.join("\n")
    );
    world.server.stop().await;
}
