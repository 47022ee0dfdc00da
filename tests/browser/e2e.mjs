// End-to-end test of the web client at /app/ in Debian's headless Chromium, driven with
// playwright-core (no downloaded browser). tests/browser/run.sh starts a seeded server and
// runs this with:
//   E2E_BASE_URL   the server, e.g. http://127.0.0.1:40337 (required)
//   E2E_ARTIFACTS  where screenshots go (default ../../target/browser-artifacts)
//   E2E_PHOTO      a JPEG to upload (default: one drawn on a canvas by the browser)
//   CHROMIUM       the browser (default /usr/bin/chromium)
//   E2E_MIN_VOTE_DELAY_MS  the server's app.min_vote_delay_ms (default 1000, as run.sh sets)
// The flow: sign up with the browser's location, upload a photo and see it become ready,
// judge ten pairs (clicks and arrow keys), judge and report a tournament quicker than a person
// judges and see it held for review, see a board score
// move once the server's worker has scored, comment, follow, and visit every main screen at
// a desktop and a phone size. Any console error, page error, failed request or HTTP error
// answer fails the run, and so does a form control without a label or a page wider than a
// phone's screen.

import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = process.env.E2E_BASE_URL;
const ARTIFACTS = process.env.E2E_ARTIFACTS || path.join(HERE, '..', '..', 'target', 'browser-artifacts');
const PHOTO = process.env.E2E_PHOTO || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const APP = `${BASE}/app/`;
/** Los Angeles, where run.sh seeds the demo photos. */
const GEOLOCATION = { latitude: 34.0522, longitude: -118.2437 };
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
/**
 * The server's `app.min_vote_delay_ms` as run.sh sets it: a vote sooner than this after its
 * pair was proposed (a tournament report sooner than 15 times this) is held for review.
 */
const MIN_VOTE_DELAY_MS = Number(process.env.E2E_MIN_VOTE_DELAY_MS || 1000);

if (!BASE) {
  console.error('e2e: set E2E_BASE_URL to the server (tests/browser/run.sh does)');
  process.exit(2);
}

const problems = [];
const passed = [];
const screenshots = [];

/** Records what the browser complains about: console errors, page errors, failed requests. */
function watch(page, label) {
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`[${label}] console error: ${message.text()} (${message.location().url || 'no url'})`);
  });
  page.on('pageerror', (error) => problems.push(`[${label}] page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    problems.push(`[${label}] request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`[${label}] HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
}

async function step(name, run) {
  const started = Date.now();
  process.stdout.write(`e2e: ${name}... `);
  try {
    await run();
  } catch (error) {
    process.stdout.write('FAILED\n');
    throw new Error(`${name}: ${error.message}`);
  }
  passed.push(name);
  process.stdout.write(`ok (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

async function shoot(page, name) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  screenshots.push(file);
}

/** Opens a route of the client and waits until its view has rendered. */
async function open(page, hash) {
  if (page.url().startsWith(APP)) {
    const routed = await page.evaluate((target) => {
      const before = Number(document.body.dataset.routed || 0);
      if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange'));
      else location.hash = target;
      return before;
    }, hash);
    await page.waitForFunction((before) => Number(document.body.dataset.routed || 0) > before, routed);
  } else {
    await page.goto(`${APP}${hash}`);
    await page.waitForFunction(() => Number(document.body.dataset.routed || 0) > 0);
  }
}

/** Form controls without a label, buttons without a name, images without alt text. */
async function checkAccessibility(page, screen) {
  const missing = await page.evaluate(() => {
    const found = [];
    for (const control of document.querySelectorAll('input, select, textarea')) {
      if (control.type === 'hidden') continue;
      const named = (control.labels && control.labels.length) || control.getAttribute('aria-label') || control.getAttribute('aria-labelledby');
      if (!named) found.push(`${control.tagName.toLowerCase()}#${control.id || '?'} has no label`);
    }
    for (const button of document.querySelectorAll('button')) {
      if (!button.textContent.trim() && !button.getAttribute('aria-label')) found.push(`a button has no name: ${button.outerHTML.slice(0, 80)}`);
    }
    for (const image of document.querySelectorAll('img')) {
      if (!image.hasAttribute('alt')) found.push(`an image has no alt: ${image.src}`);
    }
    return found;
  });
  for (const item of missing) problems.push(`[${screen}] accessibility: ${item}`);
}

/** Whether the page is wider than its viewport (it should reflow instead). */
async function checkNoSidewaysScroll(page, screen) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  if (scrollWidth > innerWidth + 1) problems.push(`[${screen}] the page is ${scrollWidth} px wide on a ${innerWidth} px screen`);
}

/** A JPEG to upload: E2E_PHOTO, or one the browser draws (shapes and a timestamp). */
async function photoToUpload(context) {
  if (PHOTO) return { name: path.basename(PHOTO), mimeType: 'image/jpeg', buffer: await readFile(PHOTO) };
  return drawPhoto(context, Date.now());
}

/** A JPEG the browser draws on a canvas: shapes from `seed`, and the time. */
async function drawPhoto(context, seed) {
  const page = await context.newPage();
  const dataUrl = await page.evaluate((seed) => {
    const canvas = document.createElement('canvas');
    canvas.width = 1200;
    canvas.height = 900;
    const draw = canvas.getContext('2d');
    const gradient = draw.createLinearGradient(0, 0, 1200, 900);
    gradient.addColorStop(0, '#ff922b');
    gradient.addColorStop(0.5, '#f06595');
    gradient.addColorStop(1, '#3b5bdb');
    draw.fillStyle = gradient;
    draw.fillRect(0, 0, 1200, 900);
    let state = seed;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    for (let n = 0; n < 40; n += 1) {
      draw.fillStyle = `hsla(${Math.floor(random() * 360)}, 80%, 60%, 0.6)`;
      draw.beginPath();
      draw.arc(random() * 1200, random() * 900, 20 + random() * 140, 0, Math.PI * 2);
      draw.fill();
    }
    draw.fillStyle = '#ffffff';
    draw.font = 'bold 64px sans-serif';
    draw.fillText(`e2e ${new Date(seed).toISOString()}`, 60, 840);
    return canvas.toDataURL('image/jpeg', 0.9);
  }, seed);
  await page.close();
  return { name: 'e2e.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(dataUrl.split(',')[1], 'base64') };
}

/** One call of the /v1 API from Node (for the second user, who has no browser). */
async function callApi(method, apiPath, token, body) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${BASE}/v1${apiPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} /v1${apiPath}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * A second user, made over the API with a profile photo (so their registration is ok),
 * who follows `userId` and comments on `photoId`: the first user's notifications.
 */
async function friendComments(context, userId, photoId, name) {
  const { token } = await callApi('POST', '/users');
  await callApi('PATCH', '/users/me', token, {
    user_name: name,
    post_category: 'landscapes',
    view_category: 'female',
    location: `${GEOLOCATION.latitude},${GEOLOCATION.longitude}`,
  });
  const picture = await drawPhoto(context, Date.now() + 7919);
  const created = await callApi('POST', '/photos', token, {
    content_type: 'image/jpeg',
    set_as_profile_photo: true,
    enter_in_tournament: false,
  });
  const stored = await fetch(created.upload.url, { method: created.upload.method, headers: created.upload.headers, body: picture.buffer });
  if (!stored.ok) throw new Error(`the friend's upload: ${stored.status} ${await stored.text()}`);
  await callApi('POST', `/photos/${created.id}/uploaded`, token);
  const deadline = Date.now() + 120000;
  while ((await callApi('GET', `/photos/${created.id}`, token)).state !== 'ready') {
    if (Date.now() > deadline) throw new Error('the friend\'s photo was not ready within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const me = await callApi('GET', '/users/me', token);
  if (me.registration !== 'ok') throw new Error(`the friend's registration is ${me.registration}`);
  await callApi('POST', '/users/me/following', token, { user_id: userId });
  await callApi('POST', `/photos/${photoId}/comments`, token, { text: `Nice one, from ${name}` });
}

/** Photo id -> score of the board's first page as shown. */
async function boardScores(page) {
  return page.$$eval('#board li.entry', (items) => Object.fromEntries(items.map((item) => [item.dataset.photoId, Number(item.dataset.score)])));
}

/** Votes on the pair shown (left or right, by click or key) and waits for the next screen. */
async function voteOnMatch(page, n) {
  const matchId = await page.getAttribute('.pair[data-match-id]', 'data-match-id');
  const side = n % 2 === 0 ? 'left' : 'right';
  if (n % 3 === 0) await page.click(`.pair button.pick[data-side="${side}"]`);
  else await page.keyboard.press(side === 'left' ? 'ArrowLeft' : 'ArrowRight');
  await page.waitForFunction((previous) => {
    const pair = document.querySelector('.pair[data-match-id]');
    return (pair && pair.dataset.matchId !== previous) || document.querySelector('.tournament') || document.querySelector('.empty');
  }, matchId);
}

async function main() {
  await mkdir(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const userName = `e2e-${Date.now().toString(36)}`;
  let storageState;
  let photoPath;
  try {
    const desktop = await browser.newContext({
      viewport: DESKTOP,
      geolocation: GEOLOCATION,
      permissions: ['geolocation'],
      locale: 'en-US',
    });
    desktop.setDefaultTimeout(30000);
    const upload = await photoToUpload(desktop);
    const page = await desktop.newPage();
    watch(page, 'desktop');

    await step('the sign-up page loads', async () => {
      await open(page, '');
      await page.waitForSelector('h1:has-text("Join LocalPicTourney")');
      await checkAccessibility(page, 'signup');
      await shoot(page, 'desktop-signup');
    });

    await step('sign up with a name, categories and the browser location', async () => {
      await page.fill('#signup-name', userName);
      await page.selectOption('#signup-post', 'female');
      await page.selectOption('#signup-view', 'female');
      await page.click('#signup-locate');
      await page.waitForSelector('#signup-said:has-text("Located at")');
      await page.click('form button[type="submit"]');
      await page.waitForSelector('h1:has-text("Upload a photo")');
      const token = await page.evaluate(() => localStorage.getItem('lpt.token'));
      if (!token) throw new Error('no token in local storage');
      await page.waitForSelector('#banner:has-text("Upload a profile photo")');
    });

    await step('upload a photo with tags, with progress, and see it become ready', async () => {
      await page.setInputFiles('#upload-file', upload);
      await page.fill('#upload-tags', 'e2e, Sunset');
      if (!(await page.isChecked('#upload-profile'))) throw new Error('the first photo should default to the profile photo');
      await page.click('.upload-form button[type="submit"]');
      await page.waitForSelector('#upload-progress-text:has-text("Sent")', { timeout: 60000 });
      const progress = await page.getAttribute('#upload-progress', 'value');
      if (Number(progress) !== 100) throw new Error(`progress ended at ${progress}`);
      await page.waitForSelector('#upload-photo-state:has-text("ready")', { timeout: 120000 });
      photoPath = await page.getAttribute('#upload-photo-link', 'href');
      await page.waitForSelector('#banner', { state: 'hidden' });
      await checkAccessibility(page, 'upload');
      await shoot(page, 'desktop-upload');
    });

    let before = {};
    await step('the board of my place lists the photos with score, RD and badges', async () => {
      await open(page, '#/boards');
      await page.waitForSelector('#board li.entry');
      before = await boardScores(page);
      if (Object.keys(before).length < 2) throw new Error('the board has fewer than 2 photos');
      await page.waitForSelector('#board .entry-rd');
      await page.waitForSelector('#board .badge-provisional');
      await checkAccessibility(page, 'boards');
      await shoot(page, 'desktop-boards');
    });

    await step('judge ten pairs by clicks and arrow keys', async () => {
      await open(page, '#/judge');
      await page.waitForSelector('.pair[data-match-id] button.pick img');
      await page.waitForSelector('.pair .delta-win');
      await checkAccessibility(page, 'judge');
      await shoot(page, 'desktop-judge');
      // The ten pairs were proposed together: once they are older than the server's minimum
      // delay every vote on them counts.
      await page.waitForTimeout(MIN_VOTE_DELAY_MS + 200);
      for (let n = 0; n < 10; n += 1) {
        if (await page.$('.tournament')) throw new Error(`a tournament came after ${n} pairs, not 10`);
        await voteOnMatch(page, n);
      }
      await page.waitForSelector('#vote-count:text-is("10")');
      if (await page.isVisible('#held-count')) throw new Error('a vote on a pair was held for review');
    });

    await step('judge a tournament two photos at a time, report it too quickly, and see it held', async () => {
      await page.waitForSelector('.tournament #tournament-title:has-text("game 1 of 15")');
      await shoot(page, 'desktop-tournament');
      for (let game = 1; game <= 15; game += 1) {
        await page.waitForSelector(`#tournament-title:has-text("game ${game} of 15")`);
        if (game === 9) await shoot(page, 'desktop-tournament-quarter-finals');
        const side = game % 2 === 0 ? 'left' : 'right';
        if (game % 3 === 0) await page.keyboard.press(side === 'left' ? 'ArrowLeft' : 'ArrowRight');
        else await page.click(`.tournament-pair button.pick[data-side="${side}"]`);
      }
      // Fifteen games in a few seconds, far sooner than fifteen times the minimum delay.
      await page.waitForSelector('#tournament-title:text-is("Tournament held for review")');
      await page.waitForSelector('.champion p:has-text("held for review")');
      await page.waitForSelector('#held-count:text-is("15")');
      await page.waitForSelector('#vote-count:text-is("10")');
      await checkAccessibility(page, 'tournament');
      await shoot(page, 'desktop-tournament-reported');
    });

    await step('the board changes once the worker has scored the votes', async () => {
      await open(page, '#/boards');
      await page.waitForSelector('#board li.entry');
      const deadline = Date.now() + 60000;
      for (;;) {
        const after = await boardScores(page);
        const moved = Object.keys(after).filter((id) => id in before && after[id] !== before[id]);
        if (moved.length > 0) break;
        if (Date.now() > deadline) throw new Error('no score moved within 60 s');
        await page.waitForTimeout(1000);
        const loads = await page.getAttribute('.pager', 'data-loads');
        await page.click('#board-refresh');
        await page.waitForFunction((previous) => document.querySelector('.pager').dataset.loads !== previous, loads);
      }
      await shoot(page, 'desktop-boards-after');
    });

    await step('a photo page: comment on it and follow its owner', async () => {
      await page.click('#board li.entry .entry-owner');
      await page.waitForSelector('.photo-page h1');
      await page.fill('#comment-text', 'Lovely light (e2e)');
      await page.click('.comment-form button[type="submit"]');
      await page.waitForSelector('#comments .comment-text:has-text("Lovely light (e2e)")');
      const follow = await page.$('button.follow');
      if (follow) {
        await page.waitForSelector('button.follow:not([disabled])');
        if ((await follow.getAttribute('aria-pressed')) !== 'true') {
          await follow.click();
          await page.waitForSelector('button.follow[aria-pressed="true"]');
        }
      }
      await checkAccessibility(page, 'photo');
      await shoot(page, 'desktop-photo');
    });

    await step('my photo page shows its tags', async () => {
      await open(page, photoPath);
      await page.waitForSelector('.tags-line a:has-text("#Sunset")');
      await page.waitForSelector('#add-tag');
    });

    await step('tags: search, then a tag page with its board', async () => {
      await open(page, '#/tags');
      await page.fill('#tag-search', 'sun');
      await page.click('form[role="search"] button[type="submit"]');
      await page.waitForSelector('#tag-results .tag-link');
      await checkAccessibility(page, 'tags');
      await shoot(page, 'desktop-tags');
      await page.click('#tag-results .tag-link');
      await page.waitForSelector('#tag-board li.entry');
      await shoot(page, 'desktop-tag');
    });

    await step('the feed shows photos of the people I follow', async () => {
      await open(page, '#/feed');
      await page.waitForSelector('#feed li.card');
      await checkAccessibility(page, 'feed');
      await shoot(page, 'desktop-feed');
    });

    await step('another user follows me and comments on my photo (over the API)', async () => {
      const userId = await page.evaluate(() => localStorage.getItem('lpt.user'));
      await friendComments(desktop, userId, photoPath.split('/').pop(), `${userName}-friend`);
    });

    await step('notifications name who followed and commented, and their settings', async () => {
      await open(page, '#/notifications');
      await page.waitForSelector(`#activities li[data-kind="new_follower"] a:text-is("${userName}-friend")`);
      await page.waitForSelector('#activities li[data-kind="new_comment"] .badge-new');
      await page.click('a:text-is("All activity")');
      await page.waitForSelector('h1:text-is("Activity")');
      await page.waitForSelector('#activities li[data-kind="new_comment"]');
      await open(page, '#/notifications');
      await page.waitForSelector('#activities li[data-kind="new_follower"]');
      await page.waitForSelector('#setting-new_comment');
      await checkAccessibility(page, 'notifications');
      await shoot(page, 'desktop-notifications');
    });

    await step('my profile says registration ok', async () => {
      await open(page, '#/me');
      await page.waitForSelector('#registration:text-is("ok")');
      await page.waitForSelector('#me-photos li.card');
      await checkAccessibility(page, 'me');
      await shoot(page, 'desktop-me');
    });

    storageState = await desktop.storageState();
    await desktop.close();

    await step('every main screen at a phone size', async () => {
      const phoneOptions = { viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US' };
      const fresh = await browser.newContext(phoneOptions);
      const signupPage = await fresh.newPage();
      watch(signupPage, 'phone');
      await open(signupPage, '');
      await signupPage.waitForSelector('h1:has-text("Join LocalPicTourney")');
      await checkNoSidewaysScroll(signupPage, 'phone signup');
      await shoot(signupPage, 'phone-signup');
      await fresh.close();

      const phone = await browser.newContext({ ...phoneOptions, storageState });
      phone.setDefaultTimeout(30000);
      const mobile = await phone.newPage();
      watch(mobile, 'phone');
      const screens = [
        ['judge', '#/judge', '.pair button.pick img, .tournament'],
        ['upload', '#/upload', '#upload-file'],
        ['boards', '#/boards', '#board li.entry'],
        ['photo', photoPath, '.photo-page h1'],
        ['tags', '#/tags', '#featured-tags'],
        ['feed', '#/feed', '#feed li'],
        ['notifications', '#/notifications', '#activities li'],
        ['me', '#/me', '#me-photos li'],
      ];
      for (const [name, hash, ready] of screens) {
        await open(mobile, hash);
        await mobile.waitForSelector(ready);
        await checkAccessibility(mobile, `phone ${name}`);
        await checkNoSidewaysScroll(mobile, `phone ${name}`);
        await shoot(mobile, `phone-${name}`);
      }
      await phone.close();
    });
  } finally {
    await browser.close();
  }
}

let failure = null;
try {
  await main();
} catch (error) {
  failure = error;
}
console.log(`e2e: screenshots in ${ARTIFACTS}:`);
for (const file of screenshots) console.log(`  ${path.basename(file)}`);
if (failure) console.error(`e2e: ${failure.message}`);
for (const problem of problems) console.error(`e2e: ${problem}`);
const failed = (failure ? 1 : 0) + (problems.length > 0 ? 1 : 0);
console.log(`browser e2e: ${passed.length} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
