// The location field of the sign-up and profile forms: the browser's geolocation, or a city
// from the picker. Either gives `{lat, lon}` for `PATCH /v1/users/me`.

import { CITIES } from './places.js';
import { h } from './ui.js';

/**
 * A fieldset with a "Use my location" button and a city picker. `value()` is the chosen
 * `{lat, lon}` or null.
 */
export function locationField(idPrefix, currentPlace) {
  let chosen = null;
  const said = h('p', { class: 'hint', id: `${idPrefix}-said`, 'aria-live': 'polite' },
    currentPlace ? `Now: ${currentPlace.name}, ${currentPlace.region}` : 'Not set yet.');
  const picker = h('select', { id: `${idPrefix}-city`, name: 'city', 'aria-describedby': `${idPrefix}-said` },
    h('option', { value: '' }, currentPlace ? 'Keep my place' : 'Choose…'),
    CITIES.map(([name], index) => h('option', { value: String(index) }, name)));
  picker.addEventListener('change', () => {
    if (picker.value === '') {
      chosen = null;
      said.textContent = currentPlace ? `Now: ${currentPlace.name}` : 'Not set yet.';
      return;
    }
    const [name, lat, lon] = CITIES[Number(picker.value)];
    chosen = { lat, lon };
    said.textContent = `Near ${name}`;
  });
  const locate = h('button', { type: 'button', class: 'secondary', id: `${idPrefix}-locate` }, 'Use my location');
  locate.addEventListener('click', () => {
    if (!navigator.geolocation) {
      said.textContent = 'This browser cannot tell your location: pick a city.';
      return;
    }
    locate.disabled = true;
    said.textContent = 'Asking the browser where you are…';
    navigator.geolocation.getCurrentPosition(
      (position) => {
        locate.disabled = false;
        chosen = { lat: position.coords.latitude, lon: position.coords.longitude };
        picker.value = '';
        said.textContent = `Located at ${chosen.lat.toFixed(3)}, ${chosen.lon.toFixed(3)}`;
      },
      (error) => {
        locate.disabled = false;
        said.textContent = `No location from the browser (${error.message || 'denied'}): pick a city.`;
      },
      { timeout: 15000, maximumAge: 600000 },
    );
  });
  const element = h('fieldset', { class: 'location' },
    h('legend', {}, 'Where you are'),
    h('div', { class: 'row' },
      locate,
      h('label', { for: `${idPrefix}-city`, class: 'inline-label' }, 'or pick a city'),
      picker),
    said);
  return { element, value: () => chosen };
}
