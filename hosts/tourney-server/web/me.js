// Your profile (`#/me`): the registration step you are on, your record, the profile form
// (name, categories, location), your photos, who you follow and who follows you, and
// signing out of this device.

import { api, query } from './api.js';
import { locationField } from './location.js';
import {
  categoryLabel, errorBox, fill, h, nameOf, notify, pager, photoCard, selectField,
} from './ui.js';

function userList(path, label, id) {
  const list = h('ul', { class: 'people', id, 'aria-label': label });
  const people = pager(
    (cursor) => api('GET', `${path}${query({ count: 50, cursor })}`),
    (page) => fill(list, page.items.length
      ? page.items.map((user) => h('li', {}, h('a', { href: `#/user/${user.id}` }, nameOf(user))))
      : h('li', { class: 'hint' }, 'Nobody yet.')),
  );
  return { element: h('div', {}, list, people.element), load: people.first };
}

export async function render(root, _route, context) {
  const me = context.me;
  const options = context.config.categories.map((category) => [category, categoryLabel(category)]);
  const where = locationField('me', me.place);
  const nameInput = h('input', { id: 'me-name', name: 'user_name', maxlength: '42', value: me.user_name || '', autocomplete: 'nickname' });
  const bioInput = h('textarea', { id: 'me-bio', name: 'biography', rows: '2', maxlength: '500' });
  bioInput.value = me.biography || '';
  const problem = h('div');
  const save = h('button', { type: 'submit' }, 'Save');
  const form = h('form', { class: 'form', 'aria-labelledby': 'profile-title' },
    h('h2', { id: 'profile-title' }, 'Profile'),
    h('div', { class: 'field' }, h('label', { for: 'me-name' }, 'Name'), nameInput),
    selectField('me-post', 'Your photos compete in', options, me.post_category),
    selectField('me-view', 'You judge', options, me.view_category),
    where.element,
    h('div', { class: 'field' }, h('label', { for: 'me-bio' }, 'About you'), bioInput),
    problem,
    save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    fill(problem);
    const patch = {
      post_category: form.elements['me-post'].value,
      view_category: form.elements['me-view'].value,
    };
    const name = nameInput.value.trim();
    if (name && name !== me.user_name) patch.user_name = name;
    const bio = bioInput.value.trim();
    if (bio !== (me.biography || '')) patch.biography = bio;
    const location = where.value();
    if (location) patch.location = location;
    save.disabled = true;
    try {
      await api('PATCH', '/users/me', patch);
      await context.refreshMe();
      notify('Profile saved');
      context.navigate('#/me');
    } catch (error) {
      fill(problem, errorBox(error.status === 409 ? `The name “${name}” is taken: choose another.` : error));
    } finally {
      save.disabled = false;
    }
  });

  const grid = h('ul', { class: 'cards', id: 'me-photos', 'aria-label': 'Your photos' });
  const photos = pager(
    (cursor) => api('GET', `/users/me/photos${query({ count: 24, cursor })}`),
    (page) => fill(grid, page.items.length ? page.items.map((photo) => photoCard(photo)) : h('li', { class: 'hint' }, 'No photos yet: ', h('a', { href: '#/upload' }, 'upload one'), '.')),
  );
  const following = userList('/users/me/following', 'People you follow', 'following');
  const followers = userList('/users/me/followers', 'Your followers', 'followers');

  const signOut = h('button', { type: 'button', class: 'danger' }, 'Sign out of this device');
  signOut.addEventListener('click', () => {
    if (!window.confirm('Sign out? Your account has no password: without this device’s key you cannot come back to it.')) return;
    context.signedOut();
    context.navigate('#/signup');
  });

  fill(root,
    h('h1', {}, me.user_name || 'Your profile'),
    h('p', { class: 'byline' },
      me.place ? `${me.place.name}, ${me.place.region} · ` : '',
      `${me.wins} wins, ${me.losses} losses (${me.win_loss_ratio.toFixed(0)}%) · registration: `,
      h('span', { class: `badge ${me.registration === 'ok' ? 'badge-ready' : 'badge-processing'}`, id: 'registration' }, me.registration)),
    h('div', { class: 'columns' },
      form,
      h('div', {},
        h('h2', {}, 'Your photos'), grid, photos.element,
        h('h2', {}, 'Following'), following.element,
        h('h2', {}, 'Followers'), followers.element)),
    h('p', {}, signOut));
  await Promise.all([photos.first(), following.load(), followers.load()]);
}
