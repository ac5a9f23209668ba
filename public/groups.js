// The group pages' small enhancements; every form works without them.
// - A CSV file chosen for the member import is read into the text box (the form posts text, so the
//   file is previewed and imported exactly as shown).
// - The register's Print button.
// - A click on a register cell opens the marking form in a dialog (the form below the grid without it).
// - The roll call marks through the API and moves on to the next name (plain form posts without it).

for (const field of document.querySelectorAll('[data-csv-file]')) {
  field.hidden = false;
  const input = field.querySelector('input[type="file"]');
  input?.addEventListener('change', async () => {
    const target = document.querySelector(input.dataset.fills);
    const file = input.files?.[0];
    if (!file || !target || !('value' in target)) return;
    target.value = await file.text();
  });
}

for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}

// ---- The register's cells: a click on a cell of today or earlier opens the marking form ------------
const grid = document.querySelector('#register-table[data-editable]');
const dialog = document.querySelector('#cell-dialog');
if (grid && dialog && typeof dialog.showModal === 'function') {
  const form = dialog.querySelector('form');
  const days = [...grid.querySelectorAll('thead time')].map((time) => time.getAttribute('datetime'));
  grid.addEventListener('click', (event) => {
    const cell = event.target.closest('td');
    const row = cell?.closest('tr[data-person-id]');
    if (!cell || !row || cell.classList.contains('reg-rate') || cell.classList.contains('st-not-member')) return;
    const date = days[[...row.children].indexOf(cell) - 1];
    if (!date || date > grid.dataset.today) return;
    form.elements.personId.value = row.dataset.personId;
    form.elements.date.value = date;
    form.elements.reason.value = '';
    const current = cell.className.match(/st-(present|late|absent|excused)/);
    form.elements.status.value = current ? current[1] : 'present';
    dialog.querySelector('[data-cell-name]').textContent = row.querySelector('th').firstChild.textContent;
    dialog.querySelector('[data-cell-date]').textContent = date;
    dialog.querySelector('[data-cell-now]').textContent = `Now: ${cell.textContent}${cell.title ? ` (${cell.title})` : ''}`;
    dialog.querySelector('[data-clear]').hidden = !cell.classList.contains('reg-marked');
    dialog.showModal();
    form.elements.status.focus();
  });
  dialog.querySelector('[data-close]').addEventListener('click', () => dialog.close());
}

// ---- The roll call: a tap marks through the API and moves on to the next name, without a reload ------
const rollCall = document.querySelector('#roll-call');
const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
if (rollCall && csrf) {
  const { groupId, date } = rollCall.dataset;
  rollCall.addEventListener('submit', async (event) => {
    const form = event.target.closest('[data-roll-form]');
    if (!form) return;
    event.preventDefault();
    const row = form.closest('.roll-row');
    const error = row.querySelector('[data-row-error]');
    const undo = event.submitter?.hasAttribute('data-undo');
    const url = `/api/v1/groups/${groupId}/register/${date}/${row.dataset.personId}`;
    const reason = form.elements.reason.value.trim();
    const response = await fetch(url, {
      method: undo ? 'DELETE' : 'PUT',
      credentials: 'same-origin',
      headers: { 'x-csrf-token': csrf, accept: 'application/json', ...(undo ? {} : { 'content-type': 'application/json' }) },
      body: undo ? undefined : JSON.stringify({ status: event.submitter?.value, reason: reason || null }),
    }).catch(() => undefined);
    if (!response?.ok) {
      const problem = await response?.json().catch(() => undefined);
      error.textContent = problem?.errors?.[0]?.message ?? problem?.detail ?? 'Not saved: the connection failed. Try again.';
      error.hidden = false;
      error.setAttribute('role', 'alert');
      return;
    }
    error.hidden = true;
    // The row shows the new state; the page's other rows are as they were.
    const line = row.querySelector('[data-status-line]');
    const badge = line.querySelector('[data-status]');
    line.querySelector('[data-marked]')?.remove();
    if (undo) {
      badge.textContent = 'unmarked';
      badge.className = 'st';
      row.removeAttribute('data-done');
    } else {
      const cell = await response.json();
      badge.textContent = cell.status;
      badge.className = `st st-${cell.status}`;
      const note = document.createElement('small');
      note.className = 'reg-flag';
      note.dataset.marked = '';
      note.textContent = `marked by ${cell.markedBy}${cell.reason ? `: ${cell.reason}` : ''}`;
      line.append(note);
      row.dataset.done = '';
    }
    form.querySelector('[data-undo]').hidden = undo;
    form.elements.reason.value = '';
    if (!undo) {
      const next = row.nextElementSibling;
      if (next) {
        next.scrollIntoView({ block: 'center', behavior: 'smooth' });
        next.querySelector('button[name="status"]')?.focus({ preventScroll: true });
      }
    }
  });
}
