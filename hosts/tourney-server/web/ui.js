// DOM helpers the views share: an element builder (text is always set as text, never as
// HTML), the status line, number and time formats, photo thumbnails, board entries and the
// follow button.

import { api } from './api.js';

/**
 * A new element: `h('a', { href: '#/x', class: 'c', onclick: fn }, 'text', child...)`.
 * Attributes that are false, null or undefined are left out; `true` sets an empty one;
 * `value` and `checked` set the property and its default (what a form reset restores).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.className = value;
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name === 'checked') {
      // The default too, so that a form's reset() comes back to it.
      element.defaultChecked = Boolean(value);
      element.checked = Boolean(value);
    } else if (name === 'value') {
      element.value = value;
      if ('defaultValue' in element) element.defaultValue = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let statusTimer = null;

/** Says `message` in the status line (read out by screen readers); errors stay longer. */
export function notify(message, kind = 'info') {
  const status = document.getElementById('status');
  status.className = `status status-${kind}`;
  status.textContent = message;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => {
    status.textContent = '';
    status.className = 'status';
  }, kind === 'error' ? 8000 : 4000);
}

/** A paragraph explaining an error, for a view's body. */
export function errorBox(error) {
  return h('p', { class: 'error', role: 'alert' }, error && error.message ? error.message : String(error));
}

/** A score, rounded. */
export const formatScore = (value) => Math.round(value).toString();

/** A score change with its sign, one decimal. */
export function formatDelta(value) {
  const rounded = Math.round(value * 10) / 10;
  return `${rounded >= 0 ? '+' : '−'}${Math.abs(rounded).toFixed(1)}`;
}

/** How long ago an RFC 3339 time was, in words. */
export function ago(text) {
  const seconds = Math.max(0, (Date.now() - Date.parse(text)) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** A `<time>` element for an RFC 3339 time. */
export const timeElement = (text) => h('time', { datetime: text, title: new Date(text).toLocaleString() }, ago(text));

/** A user's name for display. */
export const nameOf = (user) => (user && user.user_name) || 'someone';

/** A photo's description for its `alt` text. */
export function altOf(photo) {
  const tags = photo.tags && photo.tags.length ? `, tagged ${photo.tags.join(', ')}` : '';
  return `Photo by ${nameOf(photo.owner)} in ${photo.category}${tags}`;
}

/** An image of a photo at a size (`small`, `medium` or `large`), or a placeholder. */
export function photoImage(photo, size = 'medium', attributes = {}) {
  const url = photo[`url_${size}`] || photo.url_medium || photo.url_small;
  if (!url) return h('div', { class: 'placeholder', role: 'img', 'aria-label': `${altOf(photo)} (${photo.state})` }, photo.state.replace('_', ' '));
  return h('img', { src: url, alt: altOf(photo), loading: 'lazy', decoding: 'async', ...attributes });
}

/** The "provisional" badge: the rating is still uncertain (high RD). */
export const provisionalBadge = () => h('span', { class: 'badge badge-provisional', title: 'Few games yet: the rating deviation is still high' }, 'provisional');

/** A small card linking to a photo's page. */
export function photoCard(photo, extra = null) {
  return h('li', { class: 'card', dataset: { photoId: photo.id } },
    h('a', { href: `#/photo/${photo.id}`, class: 'card-link' },
      photoImage(photo, 'small'),
      h('span', { class: 'card-caption' },
        h('span', { class: 'card-owner' }, nameOf(photo.owner)),
        photo.state === 'ready'
          ? h('span', { class: 'card-score' }, `${formatScore(photo.score)} ± ${formatScore(photo.rd)}`)
          : h('span', { class: `badge badge-${photo.state}` }, photo.state.replace('_', ' ')))),
    extra);
}

/** One board entry as a list item: rank, thumbnail, owner, score, RD, games, badge. */
export function boardEntry(entry) {
  const photo = entry.photo;
  return h('li', { class: 'entry', dataset: { photoId: photo.id, score: String(entry.score) } },
    h('span', { class: 'entry-rank', 'aria-label': `rank ${entry.rank}` }, `#${entry.rank}`),
    h('a', { href: `#/photo/${photo.id}`, class: 'entry-thumb' }, photoImage(photo, 'small')),
    h('span', { class: 'entry-body' },
      h('a', { href: `#/photo/${photo.id}`, class: 'entry-owner' }, nameOf(photo.owner)),
      h('span', { class: 'entry-place' }, photo.place.name),
      h('span', { class: 'entry-stats' },
        h('span', { class: 'entry-score', title: 'Glicko-2 rating' }, `Score ${formatScore(entry.score)}`),
        h('span', { class: 'entry-rd', title: 'Rating deviation: how uncertain the score still is' }, `RD ${formatScore(entry.rd)}`),
        h('span', { class: 'entry-games' }, `${entry.games} ${entry.games === 1 ? 'game' : 'games'}`),
        entry.value !== entry.score
          ? h('span', { class: 'entry-value', title: 'What the board ranks by: the score less twice the RD, so a lucky photo with few games cannot top it' }, `ranks on ${formatScore(entry.value)}`)
          : null,
        entry.provisional ? provisionalBadge() : null)));
}

/** The users the signed-in user follows (ids), read once per page view. */
let followingCache = null;

/** Forgets who is followed (on every route change). */
export function resetFollowing() {
  followingCache = null;
}

async function followingIds() {
  if (!followingCache) {
    followingCache = api('GET', '/users/me/following?count=200').then(
      (page) => new Set(page.items.map((user) => user.id)),
    );
  }
  return followingCache;
}

/**
 * A Follow / Following toggle for `userId`. Following needs a complete registration, so
 * it is disabled (with the reason) until then.
 */
export function followButton(userId, me) {
  const button = h('button', { type: 'button', class: 'follow', 'aria-pressed': 'false', disabled: true }, 'Follow');
  if (me.registration !== 'ok') {
    button.title = `Finish your profile to follow people (${me.registration})`;
    return button;
  }
  let following = false;
  const show = () => {
    button.textContent = following ? 'Following' : 'Follow';
    button.setAttribute('aria-pressed', String(following));
    button.setAttribute('aria-label', following ? 'Following; press to unfollow' : 'Follow');
  };
  followingIds().then((ids) => {
    following = ids.has(userId);
    button.disabled = false;
    show();
  }, (error) => notify(error.message, 'error'));
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const state = await api(following ? 'DELETE' : 'POST', '/users/me/following', { user_id: userId });
      following = state.following;
      const ids = await followingIds();
      if (following) ids.add(userId);
      else ids.delete(userId);
      show();
      notify(following ? 'Following' : 'Unfollowed');
    } catch (error) {
      notify(error.message, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** A `<select>` with a `<label>`, options as [value, text] pairs. */
export function selectField(id, label, options, value, onchange) {
  const select = h('select', { id, name: id, onchange },
    options.map(([optionValue, text]) => h('option', { value: optionValue }, text)));
  for (const option of select.options) option.defaultSelected = option.value === value;
  if (value !== undefined && value !== null) select.value = value;
  return h('div', { class: 'field' }, h('label', { for: id }, label), select);
}

/** The board windows of `?when=`. */
export const WINDOWS = [
  ['thishour', 'This hour'],
  ['today', 'Today'],
  ['thisweek', 'This week'],
  ['thismonth', 'This month'],
  ['thisyear', 'This year'],
  ['alltime', 'All time'],
];

/** A category's name for display. */
export const categoryLabel = (category) => category.charAt(0).toUpperCase() + category.slice(1);

/**
 * A pager: "Previous" and "Next" buttons over cursors. `load(cursor)` resolves to a page
 * `{items, next_cursor}`; `show(page)` renders it. Returns the element and `reload()`.
 */
export function pager(load, show) {
  const cursors = [null];
  let index = 0;
  let nextCursor = null;
  const previous = h('button', { type: 'button', class: 'secondary', disabled: true }, '← Previous');
  const next = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Next →');
  const label = h('span', { class: 'pager-label', 'aria-live': 'polite' });
  const element = h('div', { class: 'pager' }, previous, label, next);
  async function go(newIndex) {
    previous.disabled = true;
    next.disabled = true;
    try {
      const page = await load(cursors[newIndex]);
      index = newIndex;
      nextCursor = page.next_cursor;
      if (nextCursor && cursors.length === index + 1) cursors.push(nextCursor);
      show(page);
      label.textContent = `Page ${index + 1}`;
      element.dataset.loads = String(Number(element.dataset.loads || 0) + 1);
    } catch (error) {
      notify(error.message, 'error');
    }
    previous.disabled = index === 0;
    next.disabled = !nextCursor;
    element.hidden = index === 0 && !nextCursor;
  }
  previous.addEventListener('click', () => go(index - 1));
  next.addEventListener('click', () => go(index + 1));
  return { element, reload: () => go(index), first: () => { cursors.length = 1; return go(0); } };
}
