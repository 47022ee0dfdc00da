// A 16-photo tournament's bracket: which two photos meet in each of the 15 games (games 0-7
// are photos[2i] v photos[2i+1]; game 8 + k is the winners of games 2k and 2k + 1), and
// the bracket drawn as four rounds with the game being judged marked.

import { h, nameOf, photoImage } from './ui.js';

/** Games in a 16-photo bracket. */
export const GAMES = 15;

const ROUNDS = [
  ['Round of 16', 0, 8],
  ['Quarter-finals', 8, 12],
  ['Semi-finals', 12, 14],
  ['Final', 14, 15],
];

/** The two photos of `game`, given the winners of the games before it (null: not known yet). */
export function gamePair(photos, winners, game) {
  if (game < 8) return [photos[2 * game], photos[2 * game + 1]];
  const first = 2 * (game - 8);
  return [winners[first] || null, winners[first + 1] || null];
}

function slot(photo, winner) {
  if (!photo) return h('li', { class: 'slot slot-empty' }, h('span', { class: 'slot-name' }, '?'));
  const won = winner && winner.id === photo.id;
  return h('li', { class: `slot${won ? ' slot-won' : ''}${winner && !won ? ' slot-lost' : ''}` },
    photoImage(photo, 'small', { alt: '' }),
    h('span', { class: 'slot-name' }, nameOf(photo.owner)));
}

/** The bracket so far: each round's games, the current one marked with aria-current. */
export function bracketView(photos, winners, currentGame) {
  return h('ol', { class: 'bracket', 'aria-label': 'Tournament bracket' },
    ROUNDS.map(([name, from, to]) => h('li', { class: 'round' },
      h('h3', {}, name),
      h('ol', { class: 'games' },
        Array.from({ length: to - from }, (_, offset) => {
          const game = from + offset;
          const [first, second] = gamePair(photos, winners, game);
          const winner = winners[game] || null;
          return h('li', {
            class: `game${game === currentGame ? ' game-current' : ''}`,
            'aria-current': game === currentGame ? 'step' : false,
            'aria-label': `Game ${game + 1}${winner ? `, won by ${nameOf(winner.owner)}` : ''}`,
          }, h('ol', { class: 'slots' }, slot(first, winner), slot(second, winner)));
        })))));
}
