// Leaderboards: a category at a place (the judge's own, a featured city, or everywhere) over
// a window, ranked with score, RD, games and the provisional badge, a page at a time.

import { api, query, seg } from './api.js';
import { WINDOWS, boardEntry, categoryLabel, fill, h, pager, selectField } from './ui.js';

const PAGE_SIZE = 20;

/** Featured places per category, read once (`GET /v1/leaderboards/{category}?count=1`). */
const featuredPlaces = new Map();

async function placesOf(category) {
  if (!featuredPlaces.has(category)) {
    featuredPlaces.set(category, api('GET', `/leaderboards/${seg(category)}?count=1`).then(
      (boards) => boards.places.map((board) => board.place),
      () => [],
    ));
  }
  return featuredPlaces.get(category);
}

export async function render(root, route, context) {
  const me = context.me;
  const params = route.params;
  const chosen = {
    category: params.get('category') || me.view_category,
    place: params.get('place') || (me.place ? me.place.id : 'all'),
    when: params.get('when') || 'thisweek',
  };
  const list = h('ol', { class: 'board', id: 'board', 'aria-label': 'Leaderboard' });
  const placeBox = h('div', { class: 'place-box' });
  const refresh = h('button', { type: 'button', class: 'secondary', id: 'board-refresh' }, 'Refresh');

  const board = pager(
    (cursor) => api('GET', `/leaderboards/${seg(chosen.category)}/${seg(chosen.place)}${query({ when: chosen.when, count: PAGE_SIZE, cursor })}`),
    (page) => fill(list, page.items.length
      ? page.items.map(boardEntry)
      : h('li', { class: 'empty' }, 'No photos posted here in this window yet.')),
  );

  function remember() {
    const hash = `#/boards${query(chosen)}`;
    history.replaceState(null, '', hash);
  }

  async function showPlaces() {
    const places = await placesOf(chosen.category);
    const options = [['all', 'Everywhere']];
    if (me.place) options.push([me.place.id, `${me.place.name} (yours)`]);
    for (const place of places) {
      if (!me.place || place.id !== me.place.id) options.push([place.id, `${place.name}, ${place.region}`]);
    }
    if (!options.some(([id]) => id === chosen.place)) options.push([chosen.place, `Place ${chosen.place}`]);
    fill(placeBox, selectField('board-place', 'Place', options, chosen.place, (event) => {
      chosen.place = event.target.value;
      remember();
      board.first();
    }));
  }

  const categoryOptions = context.config.categories.map((category) => [category, categoryLabel(category)]);
  const controls = h('form', { class: 'controls', 'aria-label': 'Board options', onsubmit: (event) => event.preventDefault() },
    selectField('board-category', 'Category', categoryOptions, chosen.category, async (event) => {
      chosen.category = event.target.value;
      remember();
      await showPlaces();
      board.first();
    }),
    placeBox,
    selectField('board-when', 'Posted', WINDOWS, chosen.when, (event) => {
      chosen.when = event.target.value;
      remember();
      board.first();
    }),
    refresh);
  refresh.addEventListener('click', () => board.reload());

  fill(root,
    h('h1', {}, 'Leaderboards'),
    h('p', { class: 'lead' }, 'The best photos by Glicko-2 score. RD says how uncertain a score still is: a provisional photo has played too few games to trust it, and a board may rank by score less twice the RD so that luck cannot top it.'),
    controls,
    list,
    board.element);
  await showPlaces();
  await board.first();
}
