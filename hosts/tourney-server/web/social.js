// People: a user's page (`#/user/ID`: their record, a follow button, their photos) and the
// feed (`#/feed`: new photos of the people you follow, newest first).

import { api, query, seg } from './api.js';
import { fill, followButton, h, nameOf, pager, photoCard, timeElement } from './ui.js';

const PAGE_SIZE = 24;

async function renderUser(root, userId, context) {
  if (userId === context.me.id) {
    context.navigate('#/me');
    return;
  }
  const user = await api('GET', `/users/${seg(userId)}`);
  const grid = h('ul', { class: 'cards', id: 'user-photos', 'aria-label': `Photos by ${nameOf(user)}` });
  const photos = pager(
    (cursor) => api('GET', `/users/${seg(userId)}/photos${query({ count: PAGE_SIZE, cursor })}`),
    (page) => fill(grid, page.items.length ? page.items.map((photo) => photoCard(photo)) : h('li', { class: 'hint' }, 'No photos yet.')),
  );
  fill(root,
    h('h1', {}, nameOf(user)),
    h('p', { class: 'byline' },
      user.place ? `${user.place.name}, ${user.place.region} · ` : '',
      `${user.wins} wins, ${user.losses} losses (${user.win_loss_ratio.toFixed(0)}%) · joined `, timeElement(user.created_at), ' ',
      followButton(user.id, context.me)),
    user.biography ? h('p', { class: 'bio' }, user.biography) : null,
    h('h2', {}, 'Photos'),
    grid,
    photos.element);
  await photos.first();
}

async function renderFeed(root) {
  const grid = h('ul', { class: 'cards', id: 'feed', 'aria-label': 'New photos from people you follow' });
  const feed = pager(
    (cursor) => api('GET', `/users/me/feed${query({ count: PAGE_SIZE, cursor })}`),
    (page) => fill(grid, page.items.length
      ? page.items.map((photo) => photoCard(photo, h('span', { class: 'card-time' }, timeElement(photo.created_at))))
      : h('li', { class: 'empty' }, 'Nothing yet. Follow people from their photos or the ', h('a', { href: '#/boards' }, 'boards'), ' to see their new photos here.')),
  );
  fill(root, h('h1', {}, 'Feed'), h('p', { class: 'lead' }, 'New photos from the people you follow.'), grid, feed.element);
  await feed.first();
}

export async function render(root, route, context) {
  if (route.name === 'user') return renderUser(root, route.args[0], context);
  return renderFeed(root);
}
