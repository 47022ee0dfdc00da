//! The admin area's HTML, rendered with `maud` (every value escaped): the layout, the
//! moderation queue, the user, photo and comment pages with their flags, history and
//! action forms, the votes held for review, and error pages. No script and nothing loaded
//! from elsewhere.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use tourney_core::service::{
    FlagTarget, FlagView, HeldBallot, HeldVoteView, HistoryEntry, ModeratedComment, ModeratedPhoto,
    ModeratedUser, QueueEntry, REPORT_GAMES, Role,
};
use tourney_core::{Timestamp, UserId};

use crate::dto::rfc3339;

/// The stylesheet, inline (the content security policy allows inline styles only).
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem}\
table{border-collapse:collapse;margin:.5rem 0 1.5rem}\
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}\
form{display:inline}dt{font-weight:bold}dd{margin:0 0 .5rem}\
.status{font-weight:bold}.muted{color:#666}";

/// A whole page: `title` and `content` inside the shared layout.
pub(super) fn layout(title: &str, content: &Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="robots" content="noindex";
                title { (title) " · LocalPicTourney admin" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                nav {
                    a href="/admin" { "Moderation queue" }
                    " · "
                    a href=(HELD_VOTES_PATH) { "Held votes" }
                }
                h1 { (title) }
                (content)
            }
        }
    }
    .into_string()
}

/// The admin page of a flagged object.
pub(super) fn object_path(target: FlagTarget) -> String {
    match target {
        FlagTarget::User(id) => format!("/admin/users/{id}"),
        FlagTarget::Photo(id) => format!("/admin/photos/{id}"),
        FlagTarget::Comment(id) => format!("/admin/comments/{id}"),
    }
}

/// The queue: objects with open flags, most first, and a link to the next page.
pub(super) fn queue(entries: &[QueueEntry], next_cursor: Option<&str>) -> Markup {
    html! {
        @if entries.is_empty() {
            p.muted { "No open flags." }
        } @else {
            table {
                thead { tr { th { "Open flags" } th { "All flags" } th { "Kind" } th { "Object" } th { "Last flagged" } } }
                tbody {
                    @for entry in entries {
                        tr {
                            td { (entry.open_flags) }
                            td { (entry.total_flags) }
                            td { (entry.target.kind()) }
                            td { a href=(object_path(entry.target)) { (entry.target.object_id()) } }
                            td { (time(entry.last_flagged)) }
                        }
                    }
                }
            }
        }
        @if let Some(cursor) = next_cursor {
            p { a href=(format!("/admin?cursor={}", utf8_percent_encode(cursor, NON_ALPHANUMERIC))) { "Next page" } }
        }
    }
}

/// The held votes' list: where the release and discard forms send the browser back to.
pub(super) const HELD_VOTES_PATH: &str = "/admin/held_votes";

/// The votes held for review (too soon after their proposal), newest first, each with its
/// release and discard forms, and a link to the next page. A tournament report is one row
/// for its 15 games.
pub(super) fn held_votes(held: &[HeldVoteView], next_cursor: Option<&str>) -> Markup {
    html! {
        p.muted {
            "Votes cast sooner after their match was proposed than a person judges, and "
            "tournament reports sooner than a person judges 15 games. They are recorded, so "
            "the judge cannot vote again, but not scored. Release one to count it as cast "
            "(once, however often you release it), or discard it to never count it."
        }
        @if held.is_empty() {
            p.muted { "No held votes." }
        } @else {
            table {
                thead { tr { th { "Voted" } th { "Judge" } th { "What" } th { "Winner" } th { "Loser" } th { "After" } th { "Minimum" } th { "Vote id" } th { "Decide" } } }
                tbody {
                    @for vote in held {
                        tr {
                            td { (time(vote.voted_at)) }
                            td { a href=(format!("/admin/users/{}", vote.judge)) { (vote.judge) } }
                            @match vote.ballot {
                                HeldBallot::Match { match_id, winner, .. } => {
                                    @let loser = if winner == match_id.low() { match_id.high() } else { match_id.low() };
                                    td { "match" }
                                    td { a href=(format!("/admin/photos/{winner}")) { (winner) } }
                                    td { a href=(format!("/admin/photos/{loser}")) { (loser) } }
                                }
                                HeldBallot::Tournament { tournament_id, champion } => {
                                    td { "tournament report (" (REPORT_GAMES) " games) " span.muted { (tournament_id) } }
                                    td { "champion " a href=(format!("/admin/photos/{champion}")) { (champion) } }
                                    td.muted { "-" }
                                }
                            }
                            td { (vote.delay().as_millis()) " ms" }
                            td { (vote.min_delay.as_millis()) " ms" }
                            td.muted { (vote.vote_id) }
                            td {
                                (action_form(&held_vote_action(&vote.vote_id, "release"), "Release (count it)"))
                                " "
                                (action_form(&held_vote_action(&vote.vote_id, "discard"), "Discard"))
                            }
                        }
                    }
                }
            }
        }
        @if let Some(cursor) = next_cursor {
            p { a href=(format!("{HELD_VOTES_PATH}?cursor={}", utf8_percent_encode(cursor, NON_ALPHANUMERIC))) { "Next page" } }
        }
    }
}

/// The path a held vote's `action` (`release` or `discard`) form POSTs to.
fn held_vote_action(vote_id: &str, action: &str) -> String {
    format!(
        "{HELD_VOTES_PATH}/{}/{action}",
        utf8_percent_encode(vote_id, NON_ALPHANUMERIC)
    )
}

/// A user's page: who they are, the ban form, their photos, flags and history.
pub(super) fn user(page: &ModeratedUser) -> Markup {
    let user = &page.user;
    let id = user.id;
    html! {
        dl {
            dt { "Id" } dd { (id) }
            dt { "Name" } dd { (user.user_name.as_deref().unwrap_or("(none)")) }
            dt { "Role" } dd { (if user.role == Role::Admin { "admin" } else { "user" }) }
            dt { "Registration" } dd { (user.registration.as_str()) }
            dt { "Signed up" } dd { (time(user.created_at)) }
            dt { "Status" }
            dd.status { (if page.banned { "banned" } else { "active" }) }
        }
        @if page.banned {
            (action_form(&format!("/admin/users/{id}/unban"), "Unban user"))
        } @else if user.role != Role::Admin {
            (action_form(&format!("/admin/users/{id}/ban"), "Ban user"))
        }
        h2 { "Photos" }
        @if page.photos.is_empty() {
            p.muted { "No photos." }
        } @else {
            ul {
                @for photo in &page.photos {
                    li {
                        a href=(format!("/admin/photos/{}", photo.id)) { (photo.id) }
                        " " span.muted { (state_text(photo.state)) }
                    }
                }
            }
        }
        (flags(&page.flags))
        (history(&page.history))
    }
}

/// A photo's page: the image and facts, the hide/restore form, flags and history.
pub(super) fn photo(page: &ModeratedPhoto) -> Markup {
    let photo = &page.photo;
    let id = photo.id;
    let small = photo
        .urls
        .iter()
        .find(|(name, _)| *name == "small")
        .map(|(_, url)| url.as_str());
    html! {
        @if let Some(url) = small {
            p { img src=(url) alt=(format!("photo {id}")); }
        }
        dl {
            dt { "Id" } dd { (id) }
            dt { "Owner" } dd { a href=(format!("/admin/users/{}", photo.owner)) { (photo.owner) } }
            dt { "Category" } dd { (photo.category) }
            dt { "Place" } dd { (photo.place.name) ", " (photo.place.region) ", " (photo.place.country) }
            dt { "State" } dd.status { (state_text(photo.state)) }
            dt { "Hidden" } dd { (yes_no(page.hidden)) }
            dt { "Owner banned" } dd { (yes_no(page.owner_banned)) }
            dt { "Score" } dd { (format!("{:.1} ± {:.1} after {} games", photo.score, photo.rd, photo.games)) }
            dt { "Tags" } dd { (photo.tags.join(", ")) }
            dt { "Created" } dd { (time(photo.created_at)) }
        }
        @if page.hidden {
            (action_form(&format!("/admin/photos/{id}/restore"), "Restore photo"))
        } @else {
            (action_form(&format!("/admin/photos/{id}/hide"), "Hide photo"))
        }
        (flags(&page.flags))
        (history(&page.history))
    }
}

/// A comment's page: its text and author, the hide/restore form, flags and history.
pub(super) fn comment(page: &ModeratedComment) -> Markup {
    let comment = &page.comment;
    let id = comment.id;
    html! {
        dl {
            dt { "Id" } dd { (id) }
            dt { "Photo" } dd { a href=(format!("/admin/photos/{}", comment.photo_id)) { (comment.photo_id) } }
            dt { "Author" } dd {
                a href=(format!("/admin/users/{}", comment.user_id)) { (comment.user_id) }
                @if let Some(name) = &comment.user_name { " (" (name) ")" }
            }
            dt { "Written" } dd { (time(comment.created_at)) }
            dt { "Status" } dd.status { (if page.hidden { "hidden" } else { "shown" }) }
            dt { "Text" } dd { blockquote { (comment.text) } }
        }
        @if page.hidden {
            (action_form(&format!("/admin/comments/{id}/restore"), "Restore comment"))
        } @else {
            (action_form(&format!("/admin/comments/{id}/hide"), "Hide comment"))
        }
        (flags(&page.flags))
        (history(&page.history))
    }
}

/// An error's page body.
pub(super) fn error(message: &str) -> Markup {
    html! {
        p { (message) }
        p { a href="/admin" { "Back to the queue" } }
    }
}

/// The flags table, with a resolve form on each open flag.
fn flags(flags: &[FlagView]) -> Markup {
    html! {
        h2 { "Flags" }
        @if flags.is_empty() {
            p.muted { "No flags." }
        } @else {
            table {
                thead { tr { th { "Flagged" } th { "By" } th { "Address" } th { "Reason" } th { "Status" } } }
                tbody {
                    @for flag in flags {
                        tr {
                            td { (time(flag.created_on)) }
                            td { a href=(format!("/admin/users/{}", flag.flagger)) { (flag.flagger) } }
                            td { (flag.ip) }
                            td { (flag.reason) }
                            td {
                                @match flag.resolved {
                                    Some((admin, at)) => {
                                        "resolved by " (admin) " at " (time(at))
                                    }
                                    None => {
                                        (action_form(&resolve_path(flag.target, flag.flagger), "Resolve"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The history table: what each admin did and when.
fn history(entries: &[HistoryEntry]) -> Markup {
    html! {
        h2 { "History" }
        @if entries.is_empty() {
            p.muted { "No moderation yet." }
        } @else {
            table {
                thead { tr { th { "When" } th { "Admin" } th { "Action" } } }
                tbody {
                    @for entry in entries {
                        tr {
                            td { (time(entry.at)) }
                            td { a href=(format!("/admin/users/{}", entry.admin)) { (entry.admin) } }
                            td {
                                (entry.action.as_str())
                                @if let Some(flagger) = entry.flagger { " (flag by " (flagger) ")" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A one-button form POSTing to `action` (the request carries the browser's Basic
/// credentials and its same-origin headers; no field is needed).
fn action_form(action: &str, label: &str) -> Markup {
    html! {
        form method="post" action=(action) { button type="submit" { (label) } }
    }
}

fn resolve_path(target: FlagTarget, flagger: UserId) -> String {
    format!(
        "/admin/flags/{}/{}/{flagger}/resolve",
        target.kind(),
        target.object_id()
    )
}

fn time(at: Timestamp) -> String {
    rfc3339(at)
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn state_text(state: tourney_core::service::PhotoState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let page = layout("<b>title</b>", &error("<script>alert(1)</script> & more"));
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"),
            "{page}"
        );
        assert!(page.contains("&lt;b&gt;title&lt;/b&gt;"), "{page}");
        assert!(!page.contains("<script>"), "{page}");
    }

    #[test]
    fn held_votes_show_each_vote_and_report_with_its_release_and_discard_forms() {
        let photo = |n| tourney_core::PhotoId::from_time_and_random(Timestamp::from_millis(5), n);
        let match_id = tourney_core::MatchId::new(photo(1), photo(2)).expect("a match");
        let tournament_id =
            tourney_core::TournamentId::from_time_and_random(Timestamp::from_millis(5), 3);
        let judge = UserId::from_time_and_random(Timestamp::from_millis(5), 4);
        let held = |vote_id: &str, ballot| HeldVoteView {
            vote_id: vote_id.to_owned(),
            judge,
            ballot,
            proposed_at: Timestamp::from_millis(1_000),
            voted_at: Timestamp::from_millis(1_120),
            min_delay: std::time::Duration::from_millis(300),
        };
        let vote = held(
            "0123456789abcdef0123456789abcdef",
            HeldBallot::Match {
                match_id,
                winner: match_id.high(),
                left: match_id.low(),
            },
        );
        let report = held(
            "fedcba9876543210fedcba9876543210",
            HeldBallot::Tournament {
                tournament_id,
                champion: photo(7),
            },
        );
        let markup = held_votes(&[vote, report], None).into_string();
        for vote_id in [
            "0123456789abcdef0123456789abcdef",
            "fedcba9876543210fedcba9876543210",
        ] {
            for action in ["release", "discard"] {
                let form = format!(
                    "<form method=\"post\" action=\"/admin/held_votes/{vote_id}/{action}\">"
                );
                assert!(markup.contains(&form), "{form} in {markup}");
            }
        }
        assert!(
            markup.contains(&format!("href=\"/admin/photos/{}\"", match_id.low())),
            "the loser linked: {markup}"
        );
        assert!(markup.contains("tournament report (15 games)"), "{markup}");
        assert!(
            markup.contains(&format!("champion <a href=\"/admin/photos/{}\"", photo(7))),
            "{markup}"
        );
        assert!(markup.contains("120 ms"), "the delay: {markup}");
    }

    #[test]
    fn queue_links_each_object_and_the_next_page() {
        let photo = tourney_core::PhotoId::from_time_and_random(Timestamp::from_millis(5), 9);
        let entry = QueueEntry {
            target: FlagTarget::Photo(photo),
            open_flags: 3,
            total_flags: 4,
            last_flagged: Timestamp::from_millis(5),
        };
        let markup = queue(&[entry], Some("a b/c")).into_string();
        assert!(
            markup.contains(&format!("href=\"/admin/photos/{photo}\"")),
            "{markup}"
        );
        assert!(
            markup.contains("href=\"/admin?cursor=a%20b%2Fc\""),
            "{markup}"
        );
    }
}
