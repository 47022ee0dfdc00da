//! Conformance checks for the identity port: a known token gives its profile, repeatably, and
//! its friends; the profile's picture URL gives an image; a rejected, empty or tampered token
//! is [`ErrorKind::Invalid`] naming `token` (for the profile and the friends alike), a picture
//! URL that is not `http`/`https` is `Invalid` naming `url`, and no error ever shows the token.
//!
//! The provider's outages cannot be caused from here (a real provider will not fail on
//! request), so retries and [`ErrorKind::Unavailable`] are each adapter's own tests, against
//! a fake provider.

use futures_util::future::join_all;
use std::collections::HashSet;
use std::fmt;

use ocean::identity::{ExternalProfile, Identity, MAX_FRIENDS, MAX_PICTURE_BYTES};
use ocean::{Error, ErrorKind};

/// An account at the provider that the checks may use: a token it accepts, the profile it
/// must return for it (with a picture), its friends who use the application, and a token it
/// rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAccount {
    /// An access token the provider accepts (a test user's, against a real provider).
    pub token: String,
    /// The profile [`Identity::profile`] must return for `token`, exactly.
    pub profile: ExternalProfile,
    /// The ids [`Identity::friends`] must return for `token`, in any order.
    pub friends: Vec<String>,
    /// A token the provider rejects: expired, revoked or never issued.
    pub invalid_token: String,
}

/// Runs every identity check, one after the other.
pub async fn run_all(identity: &dyn Identity, known: &KnownAccount) {
    known_token_gives_its_profile(identity, known).await;
    profile_is_repeatable(identity, known).await;
    invalid_token_is_refused_naming_token(identity, known).await;
    empty_token_is_refused(identity).await;
    parameters_inside_a_token_stay_in_the_token(identity, known).await;
    profile_picture_is_an_image(identity, known).await;
    picture_url_must_be_http(identity).await;
    known_token_gives_its_friends(identity, known).await;
    friends_refuse_rejected_and_empty_tokens(identity, known).await;
}

/// The known token gives exactly its profile: a non-empty id, and `None` rather than empty
/// strings for what the provider left out.
pub async fn known_token_gives_its_profile(identity: &dyn Identity, known: &KnownAccount) {
    let profile = identity
        .profile(&known.token)
        .await
        .expect("identity: the profile of a valid token");
    assert_eq!(
        profile, known.profile,
        "identity: a valid token gives its account's profile"
    );
    assert!(!profile.id.is_empty(), "identity: the id is never empty");
    let optional = [
        ("first_name", &profile.first_name),
        ("last_name", &profile.last_name),
        ("name", &profile.name),
        ("email", &profile.email),
        ("picture_url", &profile.picture_url),
    ];
    for (field, value) in optional {
        assert!(
            value.as_deref() != Some(""),
            "identity: {field} is None, never an empty string"
        );
    }
}

/// Asking about one token again, and several times at once, gives the same profile.
pub async fn profile_is_repeatable(identity: &dyn Identity, known: &KnownAccount) {
    let first = identity
        .profile(&known.token)
        .await
        .expect("identity: the profile of a valid token");
    let concurrent = join_all((0..4).map(|_| identity.profile(&known.token))).await;
    for profile in concurrent {
        let profile = profile.expect("identity: concurrent calls with one token");
        assert_eq!(
            profile, first,
            "identity: profile is idempotent, concurrent calls agree"
        );
    }
}

/// A token the provider rejects is `Invalid` naming `token`, without showing the token.
pub async fn invalid_token_is_refused_naming_token(identity: &dyn Identity, known: &KnownAccount) {
    let result = identity.profile(&known.invalid_token).await;
    assert_invalid_token(&result, &known.invalid_token, "a rejected token");
}

/// An empty token is `Invalid` naming `token`.
pub async fn empty_token_is_refused(identity: &dyn Identity) {
    let result = identity.profile("").await;
    assert_invalid_token(&result, "", "an empty token");
}

/// Characters meaningful in a URL are part of the token, never request syntax: a rejected
/// token followed by `&access_token=<valid token>` stays rejected, and so does a valid token
/// followed by `&fields=id`, `#...` or `%00` (so nobody can borrow or reshape another user's
/// request by choosing a token).
pub async fn parameters_inside_a_token_stay_in_the_token(
    identity: &dyn Identity,
    known: &KnownAccount,
) {
    let tampered = [
        format!("{}&access_token={}", known.invalid_token, known.token),
        format!("{}&fields=id", known.token),
        format!("{}#fragment", known.token),
        format!("{}%00", known.token),
    ];
    for token in &tampered {
        let result = identity.profile(token).await;
        assert_invalid_token(&result, token, "a token with URL syntax appended");
    }
}

/// The known account's picture URL gives a non-empty `image/...` picture within
/// [`MAX_PICTURE_BYTES`], the same bytes twice.
pub async fn profile_picture_is_an_image(identity: &dyn Identity, known: &KnownAccount) {
    let url = known
        .profile
        .picture_url
        .as_deref()
        .expect("identity: the known account needs a profile picture for the picture checks");
    let picture = identity
        .picture(url)
        .await
        .expect("identity: the picture of a valid profile");
    assert!(
        picture.content_type.starts_with("image/") && !picture.content_type.contains(';'),
        "identity: a picture's content type is a bare image type: {:?}",
        picture.content_type
    );
    assert!(
        !picture.bytes.is_empty() && picture.bytes.len() <= MAX_PICTURE_BYTES,
        "identity: a picture is non-empty and within the cap: {} bytes",
        picture.bytes.len()
    );
    let again = identity
        .picture(url)
        .await
        .expect("identity: the picture again");
    assert_eq!(again, picture, "identity: picture is repeatable");
}

/// A picture URL that is not an `http`/`https` URL is `Invalid` naming `url`, before any
/// request.
pub async fn picture_url_must_be_http(identity: &dyn Identity) {
    for url in [
        "",
        "not a url",
        "ftp://example.com/p.jpg",
        "file:///etc/passwd",
    ] {
        let result = identity.picture(url).await;
        assert!(
            matches!(result, Err(Error::Invalid { field: "url", .. })),
            "identity: picture({url:?}) is Invalid naming url: {result:?}"
        );
    }
}

/// The known token gives exactly its friends: each once, none empty, at most
/// [`MAX_FRIENDS`], the same set again.
pub async fn known_token_gives_its_friends(identity: &dyn Identity, known: &KnownAccount) {
    let friends = identity
        .friends(&known.token)
        .await
        .expect("identity: the friends of a valid token");
    let unique: HashSet<&String> = friends.iter().collect();
    assert_eq!(
        unique.len(),
        friends.len(),
        "identity: each friend once: {friends:?}"
    );
    assert!(
        friends.iter().all(|id| !id.is_empty()) && friends.len() <= MAX_FRIENDS,
        "identity: friend ids are non-empty, at most MAX_FRIENDS: {friends:?}"
    );
    let expected: HashSet<&String> = known.friends.iter().collect();
    assert_eq!(
        unique, expected,
        "identity: a valid token gives its account's friends"
    );
    let again = identity
        .friends(&known.token)
        .await
        .expect("identity: the friends again");
    assert_eq!(
        again.iter().collect::<HashSet<_>>(),
        expected,
        "identity: friends is repeatable"
    );
}

/// A rejected or empty token asking for friends is `Invalid` naming `token`, without showing
/// it.
pub async fn friends_refuse_rejected_and_empty_tokens(
    identity: &dyn Identity,
    known: &KnownAccount,
) {
    let result = identity.friends(&known.invalid_token).await;
    assert_invalid_token(&result, &known.invalid_token, "friends of a rejected token");
    let result = identity.friends("").await;
    assert_invalid_token(&result, "", "friends of an empty token");
    let tampered = format!("{}&access_token={}", known.invalid_token, known.token);
    let result = identity.friends(&tampered).await;
    assert_invalid_token(
        &result,
        &tampered,
        "friends of a token with URL syntax appended",
    );
}

/// Asserts `result` is `Invalid` naming `token`, and that neither its message, its debug
/// form nor any error in its source chain contains `token` (when it is not empty).
#[track_caller]
fn assert_invalid_token<T: fmt::Debug>(result: &ocean::Result<T>, token: &str, what: &str) {
    let error = match result {
        Err(error) if error.kind() == ErrorKind::Invalid => error,
        other => panic!("identity: {what}: expected an Invalid error, got {other:?}"),
    };
    assert!(
        matches!(error, Error::Invalid { field: "token", .. }),
        "identity: {what}: the Invalid error names `token`: {error:?}"
    );
    if token.is_empty() {
        return;
    }
    let mut shown = vec![error.to_string(), format!("{error:?}")];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        shown.push(cause.to_string());
        source = cause.source();
    }
    for text in shown {
        assert!(
            !text.contains(token),
            "identity: {what}: an error never shows the token: {text}"
        );
    }
}
