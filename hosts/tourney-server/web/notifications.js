// Notifications (`#/notifications`): what you were sent, or `?all=1` every activity that
// concerns you (each shown as read or new, then marked read by the server), with the
// names of who did it, and the five notification settings.

import { api, query, seg } from './api.js';
import { errorBox, fill, h, nameOf, pager, timeElement } from './ui.js';

const SETTINGS = [
  ['new_photo', 'Someone I follow posts a photo'],
  ['new_comment', 'Someone comments on my photo'],
  ['new_follower', 'Someone follows me'],
  ['won_tournament', 'Someone I follow wins a tournament'],
  ['you_won_tournament', 'My photo wins a tournament'],
];

/** What an activity says, with links to who and what. */
function describe(activity, names) {
  const who = activity.actor
    ? h('a', { href: `#/user/${activity.actor}` }, names.get(activity.actor) || 'someone')
    : 'Someone';
  const photo = (text) => (activity.photo ? h('a', { href: `#/photo/${activity.photo}` }, text) : text);
  switch (activity.kind) {
    case 'joined': return [who, ' joined'];
    case 'new_photo': return [who, ' posted ', photo('a new photo')];
    case 'new_comment': return [who, ' commented on ', photo('your photo')];
    case 'new_follower': return [who, ' follows you'];
    case 'won_tournament': return [who, ' won a tournament with ', photo('a photo')];
    case 'you_won_tournament': return [photo('Your photo'), ' won a tournament'];
    default: return [who, ` ${activity.kind.replace(/_/g, ' ')}`];
  }
}

/** The names of the actors of `items` (one `GET /v1/users/{id}` each, at most 20). */
async function actorNames(items) {
  const ids = [...new Set(items.map((item) => item.actor).filter(Boolean))].slice(0, 20);
  const users = await Promise.all(ids.map((id) => api('GET', `/users/${seg(id)}`).catch(() => null)));
  return new Map(users.filter(Boolean).map((user) => [user.id, nameOf(user)]));
}

async function settingsForm() {
  const settings = await api('GET', '/users/me/notification_settings');
  const form = h('form', { class: 'settings', 'aria-labelledby': 'settings-title' },
    h('h2', { id: 'settings-title' }, 'Tell me when'),
    SETTINGS.map(([key, label]) => {
      const box = h('input', { type: 'checkbox', id: `setting-${key}`, name: key, checked: settings[key] });
      box.addEventListener('change', async () => {
        box.disabled = true;
        try {
          const updated = await api('PATCH', '/users/me/notification_settings', { [key]: box.checked });
          box.checked = updated[key];
        } catch (error) {
          box.checked = !box.checked;
          form.append(errorBox(error));
        } finally {
          box.disabled = false;
        }
      });
      return h('div', { class: 'check' }, box, h('label', { for: `setting-${key}` }, label));
    }));
  return form;
}

export async function render(root, route) {
  const all = route.params.get('all') === '1';
  const path = all ? '/users/me/activity' : '/users/me/notification_history';
  const list = h('ol', { class: 'activities', id: 'activities', 'aria-label': all ? 'Activity' : 'Notifications' });
  const activities = pager(
    async (cursor) => {
      const page = await api('GET', `${path}${query({ count: 30, cursor })}`);
      page.names = await actorNames(page.items);
      return page;
    },
    (page) => fill(list, page.items.length
      ? page.items.map((activity) => h('li', { class: `activity${activity.read ? '' : ' unread'}`, dataset: { kind: activity.kind } },
        activity.read ? null : h('span', { class: 'badge badge-new' }, 'new'),
        h('span', { class: 'activity-text' }, describe(activity, page.names)),
        ' ', timeElement(activity.created_at)))
      : h('li', { class: 'empty' }, 'Nothing yet.')),
  );
  fill(root,
    h('h1', {}, all ? 'Activity' : 'Notifications'),
    h('p', { class: 'tabs' },
      h('a', { href: '#/notifications', 'aria-current': all ? false : 'page' }, 'Notifications'), ' · ',
      h('a', { href: '#/notifications?all=1', 'aria-current': all ? 'page' : false }, 'All activity')),
    list,
    activities.element,
    await settingsForm());
  await activities.first();
}
