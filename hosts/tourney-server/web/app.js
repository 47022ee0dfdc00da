// The web client's entry point: loads the public config and the signed-in user, routes
// `#/view/args?key=value` locations to the views, keeps the navigation and the "finish
// your profile" banner current.

import { ApiError, api, session } from './api.js';
import { errorBox, fill, h, resetFollowing } from './ui.js';
import * as boards from './boards.js';
import * as judge from './judge.js';
import * as me from './me.js';
import * as notifications from './notifications.js';
import * as photo from './photo.js';
import * as signup from './signup.js';
import * as social from './social.js';
import * as tags from './tags.js';
import * as upload from './upload.js';

/** Route name -> view module (each exports `render(root, route, context)`). */
const VIEWS = {
  signup,
  judge,
  upload,
  boards,
  tags,
  photo,
  user: social,
  feed: social,
  notifications,
  me,
};

/** What a step of the registration ladder asks for, and where to do it. */
const NEXT_STEP = {
  'need name': ['Choose a name', '#/me'],
  'need facebook': ['Link Facebook in the mobile app', '#/me'],
  'need category': ['Pick the category your photos compete in', '#/me'],
  'need pic': ['Upload a profile photo', '#/upload'],
  'need location': ['Set where you are', '#/me'],
  'need view category': ['Pick the category you judge', '#/me'],
};

/** Shared by every view: the config, the signed-in user, and ways to refresh them. */
const context = {
  config: null,
  me: null,
  async refreshMe() {
    context.me = await api('GET', '/users/me');
    showChrome();
    return context.me;
  },
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  signedOut() {
    session.clear();
    context.me = null;
    showChrome();
  },
};

let cleanup = null;
/** Routes rendered so far (in `data-routed` on the body, for tests to wait on). */
let routeCount = 0;

/** `#/name/a/b?x=1` -> {name, args: ['a', 'b'], params: URLSearchParams}. */
function parseHash() {
  const text = location.hash.replace(/^#\/?/, '');
  const [path, search = ''] = text.split('?');
  const parts = path.split('/').filter(Boolean).map((part) => decodeURIComponent(part));
  return { name: parts[0] || '', args: parts.slice(1), params: new URLSearchParams(search) };
}

function showChrome() {
  const signedIn = Boolean(context.me);
  document.getElementById('nav').hidden = !signedIn;
  const banner = document.getElementById('banner');
  const step = signedIn && NEXT_STEP[context.me.registration];
  if (step) {
    fill(banner, 'Finish your profile to comment and follow: ', h('a', { href: step[1] }, step[0]), '.');
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

async function route() {
  const current = parseHash();
  let name = current.name;
  if (!context.me && name !== 'signup') name = 'signup';
  if (context.me && (name === '' || !VIEWS[name])) name = 'judge';
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  resetFollowing();
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.route === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const root = document.getElementById('view');
  fill(root, h('p', { class: 'loading' }, 'Loading…'));
  document.body.dataset.view = name;
  try {
    const result = await VIEWS[name].render(root, { ...current, name }, context);
    if (typeof result === 'function') cleanup = result;
  } catch (error) {
    fill(root, h('h1', { tabindex: '-1' }, 'Something went wrong'), errorBox(error));
  }
  const heading = root.querySelector('h1');
  if (heading && routeCount > 0 && !root.contains(document.activeElement)) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
  routeCount += 1;
  document.body.dataset.routed = String(routeCount);
}

async function start() {
  const root = document.getElementById('view');
  try {
    context.config = await api('GET', '/config');
  } catch (error) {
    fill(root, h('h1', {}, 'The server cannot be reached'), errorBox(error));
    return;
  }
  if (session.token) {
    try {
      await context.refreshMe();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) context.signedOut();
      else {
        fill(root, h('h1', {}, 'The server cannot be reached'), errorBox(error));
        return;
      }
    }
  }
  showChrome();
  window.addEventListener('hashchange', route);
  await route();
  document.body.dataset.ready = 'true';
}

start();
