// Sign-up: an anonymous user (`POST /v1/users`, token kept on this device), then a name,
// the categories and a location (`PATCH /v1/users/me`).

import { api, session } from './api.js';
import { locationField } from './location.js';
import { categoryLabel, errorBox, fill, h, notify, selectField } from './ui.js';

export async function render(root, _route, context) {
  if (context.me) {
    fill(root,
      h('h1', {}, 'You are signed in'),
      h('p', {}, `As ${context.me.user_name || 'a new judge'}. `, h('a', { href: '#/judge' }, 'Start judging'), '.'));
    return;
  }
  const { categories, default_post_category: postDefault, default_view_category: viewDefault } = context.config;
  const options = categories.map((category) => [category, categoryLabel(category)]);
  const where = locationField('signup', null);
  const problem = h('div', { id: 'signup-problem' });
  const nameInput = h('input', {
    id: 'signup-name', name: 'user_name', required: true, maxlength: '42', autocomplete: 'nickname',
    'aria-describedby': 'signup-name-hint',
  });
  const submit = h('button', { type: 'submit' }, 'Sign up');
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'signup-name' }, 'Your name'),
      nameInput,
      h('p', { class: 'hint', id: 'signup-name-hint' }, 'Shown with your photos and comments; 1 to 42 characters.')),
    selectField('signup-post', 'Your photos compete in', options, postDefault),
    selectField('signup-view', 'You judge', options, viewDefault),
    where.element,
    problem,
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    fill(problem);
    const userName = nameInput.value.trim();
    if (!userName) {
      fill(problem, errorBox('Choose a name.'));
      nameInput.focus();
      return;
    }
    const location = where.value();
    if (!location) {
      fill(problem, errorBox('Use your location or pick a city.'));
      return;
    }
    submit.disabled = true;
    try {
      // A second try after a refused name reuses the account made by the first.
      if (!session.token) {
        const created = await api('POST', '/users');
        session.save(created.id, created.token);
      }
      await api('PATCH', '/users/me', {
        user_name: userName,
        post_category: form.elements['signup-post'].value,
        view_category: form.elements['signup-view'].value,
        location,
      });
      await context.refreshMe();
      notify(`Welcome, ${userName}!`);
      context.navigate('#/upload');
    } catch (error) {
      fill(problem, errorBox(error.code === 'conflict' || error.status === 409 ? `The name “${userName}” is taken: choose another.` : error));
    } finally {
      submit.disabled = false;
    }
  });
  fill(root,
    h('h1', {}, 'Join LocalPicTourney'),
    h('p', { class: 'lead' }, 'Judge photos two at a time, enter your own, and watch the boards of your city. No password: this device keeps your key.'),
    form);
}
