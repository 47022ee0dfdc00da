// Tags: search, the featured and trending tags of a category (`#/tags?category=C`), and a
// tag's page (`#/tags/C/T`): its board, a page at a time, and a link to judge its photos.

import { api, query, seg } from './api.js';
import { boardEntry, categoryLabel, errorBox, fill, h, pager, photoImage, selectField } from './ui.js';

/** A list of tags, each with its cover photo, linking to the tag's page. */
function tagList(category, items, describe, label) {
  if (items.length === 0) return h('p', { class: 'hint' }, 'None yet.');
  return h('ul', { class: 'tags', 'aria-label': label },
    items.map((item) => h('li', { class: 'tag-item' },
      h('a', { href: `#/tags/${seg(category)}/${seg(item.tag)}`, class: 'tag-link' },
        photoImage(item.cover_photo, 'small', { alt: '' }),
        h('span', { class: 'tag-name' }, `#${item.tag}`),
        h('span', { class: 'tag-count' }, describe(item))))));
}

const photosCount = (item) => `${item.n_photos} ${item.n_photos === 1 ? 'photo' : 'photos'}`;

async function renderIndex(root, route, context) {
  let category = route.params.get('category') || context.me.view_category;
  const featured = h('div', { id: 'featured-tags' });
  const trending = h('div', { id: 'trending-tags' });
  const results = h('div', { id: 'tag-results', 'aria-live': 'polite' });
  const term = h('input', { id: 'tag-search', name: 'term', type: 'search', autocomplete: 'off', placeholder: 'sunset', value: route.params.get('q') || '' });

  async function search() {
    const text = term.value.trim();
    if (!text) {
      fill(results);
      return;
    }
    try {
      const hits = await api('GET', `/tags/search/${seg(category)}/${seg(text)}`);
      fill(results, h('h2', {}, `Tags matching “${text}”`), tagList(category, hits.items, photosCount, 'Search results'));
    } catch (error) {
      fill(results, errorBox(error));
    }
  }

  async function showLists() {
    const [featuredTags, trendingTags] = await Promise.all([
      api('GET', `/tags/${seg(category)}`).catch((error) => error),
      api('GET', `/tags/trending/${seg(category)}`).catch((error) => error),
    ]);
    fill(featured, featuredTags instanceof Error ? errorBox(featuredTags) : tagList(category, featuredTags.items, photosCount, 'Featured tags'));
    fill(trending, trendingTags instanceof Error ? errorBox(trendingTags) : tagList(category, trendingTags.items, (item) => `trending ${item.score.toFixed(1)}`, 'Trending tags'));
  }

  const options = context.config.categories.map((name) => [name, categoryLabel(name)]);
  const form = h('form', { class: 'controls', role: 'search', 'aria-label': 'Tag search' },
    selectField('tags-category', 'Category', options, category, async (event) => {
      category = event.target.value;
      history.replaceState(null, '', `#/tags${query({ category })}`);
      await Promise.all([showLists(), search()]);
    }),
    h('div', { class: 'field' }, h('label', { for: 'tag-search' }, 'Search tags'), term),
    h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    search();
  });

  fill(root,
    h('h1', {}, 'Tags'),
    form,
    results,
    h('section', { 'aria-labelledby': 'featured-title' }, h('h2', { id: 'featured-title' }, 'Featured'), featured),
    h('section', { 'aria-labelledby': 'trending-title' }, h('h2', { id: 'trending-title' }, 'Trending'), trending));
  await Promise.all([showLists(), search()]);
}

async function renderTag(root, category, tag) {
  const list = h('ol', { class: 'board', id: 'tag-board', 'aria-label': `Best photos tagged ${tag}` });
  const board = pager(
    (cursor) => api('GET', `/tags/${seg(category)}/${seg(tag)}${query({ count: 20, cursor })}`),
    (page) => fill(list, page.items.length ? page.items.map(boardEntry) : h('li', { class: 'empty' }, 'No photos carry this tag yet.')),
  );
  fill(root,
    h('h1', {}, `#${tag}`),
    h('p', { class: 'lead' }, `The best ${category} photos tagged #${tag}, from everywhere. `,
      h('a', { href: `#/judge${query({ tag })}`, id: 'judge-tag' }, `Judge #${tag} photos`), ' · ',
      h('a', { href: `#/tags${query({ category })}` }, 'All tags')),
    list,
    board.element);
  await board.first();
}

export async function render(root, route, context) {
  const [category, tag] = route.args;
  if (category && tag) return renderTag(root, category, tag);
  return renderIndex(root, route, context);
}
