// Judging: two photos side by side with the score changes the match carries; a click or
// ArrowLeft / ArrowRight votes and the next pair shows at once (the vote is sent behind
// it). A proposal that carries a tournament is played as a bracket, two photos at a time,
// then reported whole. `#/judge?tag=T` judges a tag's photos, `#/judge?photo=ID` one
// match with that photo.

import { api, seg } from './api.js';
import { bracketView, gamePair, GAMES } from './bracket.js';
import { altOf, categoryLabel, errorBox, fill, formatDelta, formatScore, h, nameOf, notify, photoImage, provisionalBadge } from './ui.js';

/** Where an unfinished tournament's id is kept, so a reload resumes it. */
const PENDING_TOURNAMENT = 'lpt.tournament';

/** What the empty pool's errors mean to a judge. */
const EMPTY = {
  not_enough_photos: 'There are not enough photos to judge here yet. Upload one, or judge another category from your profile.',
  no_unique_matches: 'You have judged every pair there is for now. Come back when new photos arrive.',
  no_location: 'Set where you are on your profile first.',
};

export async function render(root, route, context) {
  const tag = route.params.get('tag');
  const photoId = route.params.get('photo');
  const queue = [];
  const pendingVotes = new Set();
  let loading = null;
  let votes = 0;
  let held = 0;
  let current = null;
  let exhausted = false;

  const voteCount = h('output', { id: 'vote-count', 'aria-label': 'votes recorded' }, '0');
  // Votes cast sooner after the pair was shown than a person judges are recorded but held
  // for review: they count only if an admin releases them (`app.min_vote_delay_ms`).
  const heldCount = h('output', { id: 'held-count', 'aria-label': 'votes held for review' }, '0');
  const heldNote = h('span', { class: 'held-note', hidden: true }, ' · held for review: ', heldCount);
  const stage = h('div', { class: 'stage' });
  const me = context.me;
  const pool = tag
    ? `#${tag} in ${categoryLabel(me.view_category)}`
    : `${categoryLabel(me.view_category)}${me.place ? ` around ${me.place.name}` : ''}`;
  fill(root,
    h('div', { class: 'judge-head' },
      h('h1', {}, 'Which is better?'),
      h('p', { class: 'pool' }, pool),
      h('p', { class: 'hint' }, 'Click or tap the better photo, or press ', h('kbd', {}, '←'), ' or ', h('kbd', {}, '→'), '.'),
      h('p', { class: 'counter' }, 'Votes recorded: ', voteCount, heldNote)),
    stage);

  async function fetchBatch() {
    await Promise.allSettled([...pendingVotes]);
    if (photoId) {
      if (exhausted) return;
      exhausted = true;
      const match = await api('GET', `/users/me/matches/${seg(photoId)}`);
      queue.push({ kind: 'match', match });
      return;
    }
    const path = tag ? `/users/me/tag_matches/${seg(tag)}` : '/users/me/matches';
    const proposal = await api('GET', path);
    for (const match of proposal.matches) queue.push({ kind: 'match', match });
    if (proposal.tournament) {
      localStorage.setItem(PENDING_TOURNAMENT, proposal.tournament.id);
      queue.push({ kind: 'tournament', tournament: proposal.tournament });
    }
  }

  function refill() {
    if (!loading) loading = fetchBatch().finally(() => { loading = null; });
    return loading;
  }

  function preload(item) {
    if (!item) return;
    const photos = item.kind === 'match' ? [item.match.photo_a, item.match.photo_b] : item.tournament.photos.slice(0, 2);
    for (const photo of photos) {
      if (photo.url_large) new Image().src = photo.url_large;
    }
  }

  async function next() {
    if (queue.length === 0) {
      if (photoId && exhausted) {
        fill(stage, h('p', {}, 'Done. ', h('a', { href: `#/photo/${photoId}` }, 'Back to the photo'), ' or ', h('a', { href: '#/judge' }, 'judge more'), '.'));
        return;
      }
      fill(stage, h('p', { class: 'loading' }, 'Finding photos…'));
      try {
        await refill();
      } catch (error) {
        showEmpty(error);
        return;
      }
    }
    const item = queue.shift();
    if (!item) {
      showEmpty(null);
      return;
    }
    preload(queue[0]);
    if (queue.length === 0 && !photoId) refill().catch(() => {});
    if (item.kind === 'match') showMatch(item.match);
    else playTournament(item.tournament);
  }

  function showEmpty(error) {
    current = null;
    const message = error ? EMPTY[error.code] || error.message : EMPTY.no_unique_matches;
    fill(stage, h('div', { class: 'empty' },
      h('p', {}, message),
      h('p', {}, h('a', { href: '#/upload' }, 'Upload a photo'), ' · ', h('a', { href: '#/boards' }, 'See the boards'))));
  }

  /** One side of a pair: the photo as a vote button, its score and what this game would do. */
  function side(photo, position, deltas) {
    const button = h('button', {
      type: 'button',
      class: 'pick',
      'aria-label': `Vote for the ${position} photo, by ${nameOf(photo.owner)} (${position === 'left' ? 'ArrowLeft' : 'ArrowRight'})`,
      dataset: { side: position, photoId: photo.id },
    }, photoImage(photo, 'large', { loading: 'eager', alt: altOf(photo) }));
    button.addEventListener('click', () => choose(position));
    return h('figure', { class: `side side-${position}` },
      button,
      h('figcaption', {},
        h('span', { class: 'owner' }, h('a', { href: `#/photo/${photo.id}` }, nameOf(photo.owner))),
        h('span', { class: 'score' }, `Score ${formatScore(photo.score)} · RD ${formatScore(photo.rd)}`, photo.provisional ? [' ', provisionalBadge()] : null),
        deltas ? h('span', { class: 'deltas' },
          h('span', { class: 'delta-win', title: 'its score change if it wins' }, `${formatDelta(deltas.win)} if it wins`),
          h('span', { class: 'delta-lose', title: 'its score change if it loses' }, `${formatDelta(deltas.lose)} if it loses`)) : null));
  }

  function showMatch(match) {
    const leftIsA = match.left !== 'b';
    const a = { photo: match.photo_a, win: match.a_win_delta, lose: match.a_lose_delta, winner: 'a' };
    const b = { photo: match.photo_b, win: match.b_win_delta, lose: match.b_lose_delta, winner: 'b' };
    const [left, right] = leftIsA ? [a, b] : [b, a];
    current = {
      choose(position) {
        const chosen = position === 'left' ? left : right;
        sendVote(match.match_id, chosen.winner);
        next();
      },
    };
    fill(stage, h('div', { class: 'pair', dataset: { matchId: match.match_id } },
      side(left.photo, 'left', left),
      h('span', { class: 'versus', 'aria-hidden': 'true' }, 'vs'),
      side(right.photo, 'right', right)));
  }

  /** Counts `games` votes as the server took them: counted, or held for review. */
  function tally(recorded, games) {
    if (recorded && recorded.held) {
      held += games;
      heldCount.textContent = String(held);
      heldNote.hidden = false;
    } else {
      votes += games;
      voteCount.textContent = String(votes);
    }
  }

  function sendVote(matchId, winner) {
    const vote = api('PUT', `/users/me/matches/${matchId}`, { winner }).then(
      (recorded) => {
        tally(recorded, 1);
        if (recorded && recorded.held) {
          notify('That vote came sooner than a person judges, so it is held for review: take a moment to look at both photos.');
        }
      },
      (error) => notify(`Your vote was not recorded: ${error.message}`, 'error'),
    );
    pendingVotes.add(vote);
    vote.finally(() => pendingVotes.delete(vote));
  }

  function playTournament(tournament) {
    const winners = [];
    const bracket = h('div', { class: 'bracket-wrap' });
    const heading = h('h2', { id: 'tournament-title' });
    const pairBox = h('div', { class: 'pair tournament-pair' });
    fill(stage, h('section', { class: 'tournament', 'aria-labelledby': 'tournament-title', dataset: { tournamentId: tournament.id } },
      heading, pairBox, bracket));
    const roundName = (game) => (game < 8 ? 'Round of 16' : game < 12 ? 'Quarter-final' : game < 14 ? 'Semi-final' : 'Final');

    function showGame() {
      const game = winners.length;
      if (game === GAMES) {
        report();
        return;
      }
      const [left, right] = gamePair(tournament.photos, winners, game);
      heading.textContent = `${tournament.kind.charAt(0).toUpperCase()}${tournament.kind.slice(1)} tournament: ${roundName(game)}, game ${game + 1} of ${GAMES}`;
      current = {
        choose(position) {
          winners.push(position === 'left' ? left : right);
          showGame();
        },
      };
      fill(pairBox, side(left, 'left', null), h('span', { class: 'versus', 'aria-hidden': 'true' }, 'vs'), side(right, 'right', null));
      fill(bracket, bracketView(tournament.photos, winners, game));
    }

    async function report() {
      current = null;
      fill(bracket, bracketView(tournament.photos, winners, GAMES));
      heading.textContent = 'Sending your bracket…';
      fill(pairBox);
      let recorded;
      try {
        recorded = await api('PUT', `/users/me/tournaments/${tournament.id}`, { winners: winners.map((photo) => photo.id) });
      } catch (error) {
        heading.textContent = 'The bracket was not recorded';
        fill(pairBox, errorBox(error));
        return;
      } finally {
        localStorage.removeItem(PENDING_TOURNAMENT);
      }
      tally(recorded, GAMES);
      const isHeld = Boolean(recorded && recorded.held);
      const champion = winners[GAMES - 1];
      heading.textContent = isHeld ? 'Tournament held for review' : 'Tournament reported';
      const more = h('button', { type: 'button', id: 'continue-judging' }, 'Keep judging');
      more.addEventListener('click', () => next());
      const counted = isHeld
        ? `Your ${GAMES} games were reported sooner than a person judges them, so they are held for review and count only if an admin releases them.`
        : `All ${GAMES} games count as votes.`;
      fill(pairBox, h('div', { class: 'champion' },
        h('p', {}, `Your champion: ${nameOf(champion.owner)}'s photo. ${counted}`),
        h('a', { href: `#/photo/${champion.id}`, class: 'champion-photo' }, photoImage(champion, 'medium')),
        more));
      notify(isHeld ? 'Tournament held for review' : 'Tournament reported');
      more.focus();
    }

    showGame();
  }

  function choose(position) {
    if (current) current.choose(position);
  }

  function onKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target && target.closest && target.closest('input, textarea, select, [contenteditable]')) return;
    if (event.key === 'ArrowLeft') {
      event.preventDefault();
      choose('left');
    } else if (event.key === 'ArrowRight') {
      event.preventDefault();
      choose('right');
    }
  }
  document.addEventListener('keydown', onKey);

  // A tournament left unfinished (a reload) comes back first.
  const pending = localStorage.getItem(PENDING_TOURNAMENT);
  if (pending && !tag && !photoId) {
    try {
      queue.push({ kind: 'tournament', tournament: await api('GET', `/users/me/tournaments/${seg(pending)}`) });
    } catch {
      localStorage.removeItem(PENDING_TOURNAMENT);
    }
  }
  next();
  return () => document.removeEventListener('keydown', onKey);
}
