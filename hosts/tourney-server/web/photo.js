// A photo's page (`#/photo/ID`): the large image, its score, RD, games and record, tags,
// awards, the owner with a follow button, the share link, and the comments with a form.
// The owner may add tags and delete it.

import { api, query, seg } from './api.js';
import {
  errorBox, fill, followButton, formatScore, h, nameOf, notify, photoImage, provisionalBadge, timeElement,
} from './ui.js';

const COMMENTS_PAGE = 20;
const AWARD_NAMES = { 1: 'First place', 2: 'Second place', 3: 'Third place' };

function commentItem(comment) {
  return h('li', { class: 'comment', dataset: { commentId: comment.id } },
    h('p', { class: 'comment-head' },
      h('a', { href: `#/user/${comment.user.id}` }, nameOf(comment.user)), ' · ', timeElement(comment.created_at)),
    h('p', { class: 'comment-text' }, comment.text));
}

export async function render(root, route, context) {
  const photoId = route.args[0];
  const me = context.me;
  const photo = await api('GET', `/photos/${seg(photoId)}`);
  const isMine = photo.owner.id === me.id;
  const comments = h('ol', { class: 'comments', id: 'comments', 'aria-label': 'Comments' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Older comments');
  const awards = h('ul', { class: 'awards', 'aria-label': 'Awards' });
  const tagsBox = h('p', { class: 'tags-line' });
  let cursor = null;
  let commentCount = photo.comment_count;
  const commentsTitle = h('h2', { id: 'comments-title' }, `Comments (${commentCount})`);

  async function loadComments(reset) {
    if (reset) {
      cursor = null;
      fill(comments);
    }
    const page = await api('GET', `/photos/${seg(photoId)}/comments${query({ count: COMMENTS_PAGE, cursor })}`);
    comments.append(...page.items.map(commentItem));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    if (comments.children.length === 0) comments.append(h('li', { class: 'hint empty' }, 'No comments yet.'));
  }
  more.addEventListener('click', () => loadComments(false).catch((error) => notify(error.message, 'error')));

  function showTags(list) {
    fill(tagsBox, list.length
      ? list.map((tag) => [h('a', { href: `#/tags/${seg(photo.category)}/${seg(tag)}`, class: 'tag' }, `#${tag}`), ' '])
      : h('span', { class: 'hint' }, 'No tags.'));
  }
  showTags(photo.tags);

  let commentForm;
  if (me.registration === 'ok' && photo.state === 'ready') {
    const text = h('textarea', { id: 'comment-text', name: 'text', maxlength: '300', rows: '3', required: true });
    const send = h('button', { type: 'submit' }, 'Comment');
    commentForm = h('form', { class: 'form comment-form' },
      h('div', { class: 'field' }, h('label', { for: 'comment-text' }, 'Add a comment'), text),
      send);
    commentForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = text.value.trim();
      if (!body) return;
      send.disabled = true;
      try {
        await api('POST', `/photos/${seg(photoId)}/comments`, { text: body });
        text.value = '';
        commentCount += 1;
        commentsTitle.textContent = `Comments (${commentCount})`;
        notify('Comment posted');
        await loadComments(true);
      } catch (error) {
        notify(error.message, 'error');
      } finally {
        send.disabled = false;
      }
    });
  } else {
    commentForm = h('p', { class: 'hint' }, photo.state === 'ready'
      ? `Finish your profile to comment (${me.registration}).`
      : 'Comments open once the photo is ready.');
  }

  let ownerTools = null;
  if (isMine) {
    const tagInput = h('input', { id: 'add-tag', name: 'tag', maxlength: '50', autocomplete: 'off' });
    const tagForm = h('form', { class: 'inline-form' },
      h('label', { for: 'add-tag' }, 'Add a tag'), tagInput, h('button', { type: 'submit', class: 'secondary' }, 'Add'));
    tagForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const tag = tagInput.value.trim();
      if (!tag) return;
      try {
        const updated = await api('PUT', `/tags/${seg(tag)}/${seg(photoId)}`);
        tagInput.value = '';
        showTags(updated.tags);
        notify(`Tagged #${tag}`);
      } catch (error) {
        notify(error.message, 'error');
      }
    });
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete this photo');
    remove.addEventListener('click', async () => {
      if (!window.confirm('Delete this photo? It leaves every board and cannot come back.')) return;
      try {
        await api('DELETE', `/photos/${seg(photoId)}`);
        notify('Photo deleted');
        context.navigate('#/me');
      } catch (error) {
        notify(error.message, 'error');
      }
    });
    ownerTools = h('div', { class: 'owner-tools' }, tagForm, remove);
  }

  const record = photo.state === 'ready'
    ? h('dl', { class: 'stats' },
      h('dt', {}, 'Score'), h('dd', { id: 'photo-score' }, formatScore(photo.score), photo.provisional ? [' ', provisionalBadge()] : null),
      h('dt', {}, 'RD'), h('dd', {}, formatScore(photo.rd)),
      h('dt', {}, 'Games'), h('dd', {}, String(photo.games)),
      h('dt', {}, 'Won / lost'), h('dd', {}, `${photo.wins} / ${photo.losses}`))
    : h('p', {}, h('span', { class: `badge badge-${photo.state}` }, photo.state.replace('_', ' ')),
      photo.rejection_reason ? ` ${photo.rejection_reason}` : '');

  fill(root,
    h('article', { class: 'photo-page', dataset: { photoId } },
      h('div', { class: 'photo-main' }, photoImage(photo, 'large', { loading: 'eager' })),
      h('div', { class: 'photo-side' },
        h('h1', {}, `${nameOf(photo.owner)}'s photo`),
        h('p', { class: 'byline' },
          h('a', { href: `#/user/${photo.owner.id}` }, nameOf(photo.owner)), ' · ',
          `${photo.category} in ${photo.place.name}, ${photo.place.region}`, ' · ', timeElement(photo.created_at), ' ',
          isMine ? null : followButton(photo.owner.id, me)),
        record,
        tagsBox,
        awards,
        h('p', { class: 'links' },
          photo.state === 'ready' && !isMine ? [h('a', { href: `#/judge${query({ photo: photoId })}` }, 'Judge a match with it'), ' · '] : null,
          h('a', { href: photo.share_url, rel: 'noopener', target: '_blank' }, 'Share page')),
        ownerTools,
        h('section', { class: 'discussion', 'aria-labelledby': 'comments-title' },
          commentsTitle,
          comments,
          more,
          commentForm))));

  const [awardsPage] = await Promise.all([
    // Awards are shown to the owner only (others get 403).
    photo.state === 'ready' && isMine ? api('GET', `/photos/${seg(photoId)}/awards`).catch(() => ({ items: [] })) : { items: [] },
    photo.state === 'ready' ? loadComments(true).catch((error) => fill(comments, h('li', {}, errorBox(error)))) : null,
  ]);
  fill(awards, awardsPage.items.map((award) => h('li', { class: 'badge badge-award' },
    `${AWARD_NAMES[award.place] || `Place ${award.place}`} in ${award.category}, week ${award.week}`)));
}
