// Uploading: `POST /v1/photos` (category, tags, profile photo) answers a presigned upload;
// the file goes there with a progress bar, `POST /v1/photos/{id}/uploaded` says it is sent,
// and the photo is polled until the worker has made it ready (or refused it).

import { api, sendUpload, seg } from './api.js';
import { categoryLabel, errorBox, fill, h, notify, photoCard, photoImage, selectField } from './ui.js';

const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp', 'video/mp4', 'video/quicktime'];
const FINAL_STATES = new Set(['ready', 'rejected', 'duplicate']);
const POLL_MS = 1000;
const POLL_LIMIT_MS = 180000;

/** Tags typed as "a, b, c": trimmed, empty ones dropped. */
export function parseTags(text) {
  return text.split(',').map((tag) => tag.trim()).filter(Boolean);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function render(root, _route, context) {
  const me = context.me;
  const options = context.config.categories.map((category) => [category, categoryLabel(category)]);
  const fileInput = h('input', { id: 'upload-file', name: 'file', type: 'file', accept: ACCEPTED.join(','), required: true });
  const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
  const tagsInput = h('input', { id: 'upload-tags', name: 'tags', autocomplete: 'off', placeholder: 'sunset, street', 'aria-describedby': 'upload-tags-hint' });
  const profileBox = h('input', { id: 'upload-profile', name: 'set_as_profile_photo', type: 'checkbox', checked: !me.profile_photo });
  const enterBox = h('input', { id: 'upload-enter', name: 'enter_in_tournament', type: 'checkbox', checked: true });
  const progress = h('progress', { id: 'upload-progress', max: '100', value: '0', 'aria-label': 'Upload progress' });
  const progressText = h('span', { id: 'upload-progress-text' }, '');
  const state = h('div', { id: 'upload-state', class: 'upload-state', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Upload');
  const recent = h('ul', { class: 'cards', id: 'my-photos', 'aria-label': 'Your recent photos' });
  let previewUrl = null;

  fileInput.addEventListener('change', () => {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    const file = fileInput.files[0];
    if (!file) {
      fill(preview);
      return;
    }
    if (file.type.startsWith('image/')) {
      previewUrl = URL.createObjectURL(file);
      fill(preview, h('img', { src: previewUrl, alt: `Preview of ${file.name}` }));
    } else {
      fill(preview, h('p', {}, file.name));
    }
  });

  const form = h('form', { class: 'form upload-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'upload-file' }, 'Photo or short video'), fileInput),
    preview,
    selectField('upload-category', 'Category', options, me.post_category),
    h('div', { class: 'field' },
      h('label', { for: 'upload-tags' }, 'Tags'),
      tagsInput,
      h('p', { class: 'hint', id: 'upload-tags-hint' }, 'Separate them with commas; up to 20, each up to 50 characters.')),
    h('div', { class: 'check' }, enterBox, h('label', { for: 'upload-enter' }, 'Enter it in tournaments')),
    h('div', { class: 'check' }, profileBox, h('label', { for: 'upload-profile' }, 'Use it as my profile photo')),
    submit,
    h('div', { class: 'progress-row' }, progress, progressText),
    state);

  async function showRecent() {
    try {
      const page = await api('GET', '/users/me/photos?count=12');
      fill(recent, page.items.length ? page.items.map((photo) => photoCard(photo)) : h('li', { class: 'hint' }, 'No photos yet.'));
    } catch (error) {
      fill(recent, h('li', {}, errorBox(error)));
    }
  }

  async function waitUntilProcessed(photoId) {
    const started = Date.now();
    for (;;) {
      const photo = await api('GET', `/photos/${seg(photoId)}`);
      if (FINAL_STATES.has(photo.state)) return photo;
      fill(state, h('p', { class: 'state-processing' }, h('span', { class: 'badge badge-processing', id: 'upload-photo-state' }, photo.state.replace('_', ' ')), ' The server is checking it and making its sizes…'));
      if (Date.now() - started > POLL_LIMIT_MS) return photo;
      await sleep(POLL_MS);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    fill(state);
    const file = fileInput.files[0];
    if (!file) {
      fill(state, errorBox('Choose a photo first.'));
      return;
    }
    if (!ACCEPTED.includes(file.type)) {
      fill(state, errorBox(`${file.name}: use a JPEG, PNG or WebP photo, or an MP4 or QuickTime video.`));
      return;
    }
    if (file.size > context.config.max_upload_bytes) {
      fill(state, errorBox(`${file.name} is larger than the ${Math.floor(context.config.max_upload_bytes / 1048576)} MiB the server takes.`));
      return;
    }
    submit.disabled = true;
    progress.value = 0;
    progressText.textContent = 'Starting…';
    try {
      const created = await api('POST', '/photos', {
        content_type: file.type,
        media_type: file.type.startsWith('video/') ? 'movie' : 'photo',
        category: form.elements['upload-category'].value,
        tags: parseTags(tagsInput.value),
        enter_in_tournament: enterBox.checked,
        set_as_profile_photo: profileBox.checked,
      });
      await sendUpload(created.upload, file, (fraction) => {
        const percent = Math.round(fraction * 100);
        progress.value = percent;
        progressText.textContent = `${percent}% sent`;
      });
      progressText.textContent = 'Sent';
      await api('POST', `/photos/${seg(created.id)}/uploaded`);
      const photo = await waitUntilProcessed(created.id);
      if (photo.state === 'ready') {
        fill(state, h('div', { class: 'done' },
          h('p', {}, h('span', { class: 'badge badge-ready', id: 'upload-photo-state' }, 'ready'), ' Your photo is in. ', h('a', { href: `#/photo/${photo.id}`, id: 'upload-photo-link' }, 'See it')),
          h('a', { href: `#/photo/${photo.id}`, class: 'done-photo' }, photoImage(photo, 'medium'))));
        notify('Your photo is ready');
        form.reset();
        fill(preview);
        profileBox.defaultChecked = false;
        profileBox.checked = false;
        await context.refreshMe();
      } else if (FINAL_STATES.has(photo.state)) {
        fill(state, errorBox(photo.state === 'duplicate'
          ? 'That photo is already here (an exact duplicate).'
          : `The photo was refused: ${photo.rejection_reason || 'not a picture the server can read'}.`));
        const badge = h('span', { class: `badge badge-${photo.state}`, id: 'upload-photo-state' }, photo.state);
        state.prepend(badge);
      } else {
        fill(state, h('p', {}, 'Still processing. It will show under your photos when ready.'));
      }
    } catch (error) {
      progressText.textContent = '';
      fill(state, errorBox(error));
    } finally {
      submit.disabled = false;
      showRecent();
    }
  });

  fill(root,
    h('h1', {}, 'Upload a photo'),
    h('p', { class: 'lead' }, `It competes in your city, your region and the world. Up to ${Math.floor(context.config.max_upload_bytes / 1048576)} MiB.`),
    form,
    h('h2', {}, 'Your photos'),
    recent);
  showRecent();
  return () => {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
  };
}
