// The venue's big screen (/screen): refreshes the counts the server rendered from /api/v1/occupancy.
// Counts only; the page never holds a name. Built with DOM calls (strict CSP: no inline markup).
const root = document.getElementById('screen');
const REFRESH_MS = 5000;

function fillState(inside, capacity) {
  if (capacity === null) return 'open';
  if (inside >= capacity) return 'full';
  return inside >= capacity * 0.9 ? 'near' : 'ok';
}
const STATE_TEXT = { open: '', ok: '', near: 'Nearly full', full: 'Full' };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  node.append(...children);
  return node;
}

function meterParts(inside, capacity, label) {
  const parts = [
    el(
      'div',
      { class: 'screen-count' },
      el('span', { class: 'screen-inside', 'data-field': 'inside' }, String(inside)),
      el('span', { class: 'screen-capacity', 'data-field': 'capacity' }, capacity === null ? 'inside' : `of ${capacity}`),
    ),
  ];
  if (capacity !== null) parts.push(el('meter', { min: 0, max: capacity, value: Math.min(inside, capacity), 'aria-label': label }));
  const state = fillState(inside, capacity);
  parts.push(el('p', { class: 'screen-state', 'data-state': state }, STATE_TEXT[state]));
  return parts;
}

function render(now) {
  const total = root.querySelector('.screen-total');
  total.dataset.state = fillState(now.inside, now.capacity);
  total.replaceChildren(...meterParts(now.inside, now.capacity, 'Venue filled'));
  const gates = now.gates.map((g) => {
    const name = g.gate || 'No gate';
    const title = el('h2', {}, name);
    if (!g.listed) title.append(' ', el('span', { class: 'screen-unlisted' }, '(unlisted)'));
    return el(
      'li',
      { class: 'screen-gate', 'data-state': fillState(g.inside, g.capacity) },
      title,
      ...meterParts(g.inside, g.capacity, `${name} filled`),
    );
  });
  document.getElementById('screen-gates').replaceChildren(...gates);
  const match = /T(\d{2}:\d{2}:\d{2})/.exec(now.at);
  document.getElementById('screen-at').textContent = match ? match[1] : now.at;
  root.classList.remove('is-stale');
}

async function refresh() {
  try {
    const response = await fetch(root.dataset.refresh, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
  } catch {
    // Keep the last counts on screen, marked as not current, and try again on the next tick.
    root.classList.add('is-stale');
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

if (root) setTimeout(refresh, REFRESH_MS);
