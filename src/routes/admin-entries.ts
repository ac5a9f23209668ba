// Corrections: /admin/entries/{id} shows one check-in with its history, corrects its names or gate, deletes
// it (softly: the row moves to deleted_checkins and can be restored), and /admin/audit shows every change.
// Each change and its audit record are written in one transaction.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app.js';
import { requireAdmin, sessionOf } from '../auth/access-control.js';
import { listAudit, recordAudit, type AuditEntry } from '../auth/audit-log.js';
import type { Queryable } from '../db/database.js';
import { html, type SafeHtml } from '../views/html.js';
import { csrfField, dateTime, notice, page, type PageUser } from '../views/layout.js';

type Entry = Record<string, unknown> & { id: number; firstname: string; lastname: string; gate: string };

const EDITABLE = ['firstname', 'lastname', 'gate'] as const;

async function findEntry(db: Queryable, id: number): Promise<Entry | undefined> {
  return (await db.query<{ entry: Entry }>(`SELECT to_jsonb(c) AS entry FROM checkins c WHERE id = $1`, [id])).rows[0]?.entry;
}

async function findDeleted(db: Queryable, id: number): Promise<{ entry: Entry; deletedAt: string; deletedBy: string } | undefined> {
  return (
    await db.query<{ entry: Entry; deletedAt: string; deletedBy: string }>(
      `SELECT entry, to_json(deleted_at) #>> '{}' AS "deletedAt", deleted_by AS "deletedBy" FROM deleted_checkins WHERE id = $1`,
      [id],
    )
  ).rows[0];
}

/** The columns a restored row may be inserted into (not generated ones), whatever the table has grown. */
async function insertableColumns(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ columns: string }>(
    `SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS columns
       FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'checkins' AND is_generated = 'NEVER'`,
  );
  return rows[0]!.columns;
}

function validName(value: unknown, required: boolean): string | undefined {
  if (typeof value !== 'string') return required ? undefined : '';
  const trimmed = value.trim();
  if ((required && trimmed === '') || [...trimmed].length > 100 || trimmed.includes('\u0000')) return undefined;
  return trimmed;
}

function field(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** before → after, one line per field that differs (or the whole record for a create/delete). */
function changes(entry: AuditEntry): SafeHtml {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]) || !entry.before || !entry.after,
  );
  if (keys.length === 0) return html`<span class="hint">no field changed</span>`;
  return html`<dl class="diff">${keys.map(
    (key) => html`<dt>${key}</dt><dd>${entry.before ? html`<del>${field(before[key])}</del>` : ''}${entry.before && entry.after ? html` <span aria-hidden="true">→</span><span class="visually-hidden"> changed to </span> ` : ''}${entry.after ? html`<ins>${field(after[key])}</ins>` : ''}</dd>`,
  )}</dl>`;
}

export function auditTable(entries: AuditEntry[], showEntity = true): SafeHtml {
  if (entries.length === 0) return html`<p class="empty">No changes recorded yet.</p>`;
  return html`<table class="table audit-table">
<thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th>${showEntity ? html`<th scope="col">Record</th>` : ''}<th scope="col">Before → after</th></tr></thead>
<tbody>${entries.map(
    (e) => html`<tr>
  <td class="nowrap">${dateTime(e.at)}</td><td>${e.actor}</td><td><span class="badge badge-${e.action.replace(/\s+/g, '-')}">${e.action}</span></td>
  ${showEntity ? html`<td>${e.entity === 'checkin' ? html`<a href="/admin/entries/${e.entityId}">check-in #${e.entityId}</a>` : html`${e.entity} #${e.entityId}`}</td>` : ''}
  <td>${changes(e)}</td>
</tr>`,
  )}</tbody></table>`;
}

export const adminEntryRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  const { db } = context;
  const pageUser = (request: Parameters<typeof sessionOf>[0]): PageUser => {
    const s = sessionOf(request);
    return { username: s.username, csrfToken: s.csrfToken };
  };
  const html200 = 'text/html; charset=utf-8';

  async function entryPage(user: PageUser, id: number, message?: SafeHtml | ''): Promise<string | undefined> {
    const entry = await findEntry(db, id);
    const deleted = entry ? undefined : await findDeleted(db, id);
    if (!entry && !deleted) return undefined;
    const shown = entry ?? deleted!.entry;
    const history = await listAudit(db, { entity: 'checkin', entityId: String(id), limit: 50 });
    const when = (shown.login ?? shown.occurred_at ?? shown.created_at) as string | undefined;
    return page({
      title: `Check-in #${id}`,
      section: 'sheet',
      user,
      scripts: ['admin.js'],
      body: html`<p class="breadcrumb"><a href="/admin/sheet${when ? `?date=${when.slice(0, 10)}` : ''}">← Attendance${when ? ` of ${when.slice(0, 10)}` : ''}</a></p>
<div class="page-head"><h1>Check-in #${id}</h1>
<p class="lede">${shown.firstname} ${shown.lastname}${shown.gate ? ` at gate ${shown.gate}` : ''}, ${dateTime(when)}${deleted ? html` <span class="badge badge-delete">deleted</span>` : ''}</p></div>
${message ?? ''}
<div class="grid-2">
${entry
  ? html`<section class="card" aria-labelledby="correct-title">
  <h2 id="correct-title">Correct</h2>
  <form method="post" action="/admin/entries/${id}" class="stack" id="correct-form">${csrfField(user)}
    <label for="firstname">First name</label><input id="firstname" name="firstname" required maxlength="100" value="${entry.firstname}">
    <label for="lastname">Last name</label><input id="lastname" name="lastname" required maxlength="100" value="${entry.lastname}">
    <label for="gate">Gate</label><input id="gate" name="gate" maxlength="100" value="${entry.gate}">
    <button type="submit" class="button button-primary">Save correction</button>
  </form>
  <hr>
  <h2>Delete</h2>
  <p class="hint">The entry leaves the attendance sheet, the API and exports. It is kept and can be restored here.</p>
  <form method="post" action="/admin/entries/${id}/delete" data-confirm="Delete check-in #${id} of ${entry.firstname} ${entry.lastname}?">${csrfField(user)}
    <button type="submit" class="button button-danger">Delete entry</button>
  </form>
</section>`
  : html`<section class="card" aria-labelledby="restore-title">
  <h2 id="restore-title">Deleted</h2>
  <p>Deleted ${dateTime(deleted!.deletedAt)} by ${deleted!.deletedBy}.</p>
  <form method="post" action="/admin/entries/${id}/restore">${csrfField(user)}<button type="submit" class="button">Restore entry</button></form>
</section>`}
<section class="card" aria-labelledby="history-title">
  <h2 id="history-title">History</h2>
  ${auditTable(history, false)}
</section>
</div>`,
    });
  }

  function parseId(raw: string): number | undefined {
    return /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
  }

  app.get<{ Params: { id: string }; Querystring: { done?: string } }>(
    '/admin/entries/:id',
    { preHandler: requireAdmin(context) },
    async (request, reply) => {
      const id = parseId(request.params.id);
      const done = { corrected: 'Correction saved.', deleted: 'Entry deleted.', restored: 'Entry restored.' }[request.query.done ?? ''];
      const body = id === undefined ? undefined : await entryPage(pageUser(request), id, done ? notice('success', done) : '');
      if (!body) return reply.code(404).type(html200).send(page({ title: 'Not found', section: 'sheet', user: pageUser(request), body: html`<h1>No check-in #${request.params.id}</h1><p><a href="/admin/sheet">Back to attendance</a></p>` }));
      return reply.type(html200).send(body);
    },
  );

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/admin/entries/:id',
    { preHandler: requireAdmin(context, { csrf: true }) },
    async (request, reply) => {
      const id = parseId(request.params.id);
      const user = pageUser(request);
      if (id === undefined) return reply.code(404).send({ detail: 'Not found.' });
      const form = request.body ?? {};
      const firstname = validName(form.firstname, true);
      const lastname = validName(form.lastname, true);
      const gate = validName(form.gate, false);
      if (firstname === undefined || lastname === undefined || gate === undefined) {
        const body = await entryPage(user, id, notice('error', 'First and last name are required; each field takes up to 100 characters.'));
        return reply.code(body ? 400 : 404).type(html200).send(body ?? 'Not found.');
      }
      const outcome = await db.transaction(async (tx) => {
        const before = (await tx.query<{ entry: Entry }>(`SELECT to_jsonb(c) AS entry FROM checkins c WHERE id = $1 FOR UPDATE`, [id])).rows[0]?.entry;
        if (!before) return 'missing' as const;
        if (before.firstname === firstname && before.lastname === lastname && before.gate === gate) return 'unchanged' as const;
        const after = (
          await tx.query<{ entry: Entry }>(
            `UPDATE checkins c SET firstname = $2, lastname = $3, gate = $4 WHERE id = $1 RETURNING to_jsonb(c) AS entry`,
            [id, firstname, lastname, gate],
          )
        ).rows[0]!.entry;
        const pick = (e: Entry) => Object.fromEntries(EDITABLE.map((k) => [k, e[k]]));
        await recordAudit(tx, { actor: user.username, action: 'correct', entity: 'checkin', entityId: id, before: pick(before), after: pick(after) });
        return 'corrected' as const;
      });
      if (outcome === 'missing') return reply.code(404).type(html200).send(page({ title: 'Not found', user, body: html`<h1>No check-in #${id}</h1>` }));
      if (outcome === 'corrected') app.attendanceEvents.changed();
      return reply.redirect(`/admin/entries/${id}?done=corrected`, 303);
    },
  );

  app.post<{ Params: { id: string } }>('/admin/entries/:id/delete', { preHandler: requireAdmin(context, { csrf: true }) }, async (request, reply) => {
    const id = parseId(request.params.id);
    const user = pageUser(request);
    const deleted =
      id !== undefined &&
      (await db.transaction(async (tx) => {
        const row = (await tx.query<{ entry: Entry }>(`DELETE FROM checkins c WHERE id = $1 RETURNING to_jsonb(c) AS entry`, [id])).rows[0];
        if (!row) return false;
        await tx.query(`INSERT INTO deleted_checkins (id, entry, deleted_by) VALUES ($1, $2::jsonb, $3)`, [id, JSON.stringify(row.entry), user.username]);
        await recordAudit(tx, { actor: user.username, action: 'delete', entity: 'checkin', entityId: id, before: row.entry });
        return true;
      }));
    if (!deleted) return reply.code(404).type(html200).send(page({ title: 'Not found', user, body: html`<h1>No check-in #${request.params.id}</h1>` }));
    app.attendanceEvents.changed();
    return reply.redirect(`/admin/entries/${id}?done=deleted`, 303);
  });

  app.post<{ Params: { id: string } }>('/admin/entries/:id/restore', { preHandler: requireAdmin(context, { csrf: true }) }, async (request, reply) => {
    const id = parseId(request.params.id);
    const user = pageUser(request);
    const restored =
      id !== undefined &&
      (await db.transaction(async (tx) => {
        const row = (await tx.query<{ entry: Entry }>(`DELETE FROM deleted_checkins WHERE id = $1 RETURNING entry`, [id])).rows[0];
        if (!row) return false;
        const columns = await insertableColumns(tx);
        await tx.query(`INSERT INTO checkins (${columns}) SELECT ${columns} FROM jsonb_populate_record(NULL::checkins, $1::jsonb)`, [JSON.stringify(row.entry)]);
        await recordAudit(tx, { actor: user.username, action: 'restore', entity: 'checkin', entityId: id, after: row.entry });
        return true;
      }));
    if (!restored) return reply.code(404).type(html200).send(page({ title: 'Not found', user, body: html`<h1>No deleted check-in #${request.params.id}</h1>` }));
    app.attendanceEvents.changed();
    return reply.redirect(`/admin/entries/${id}?done=restored`, 303);
  });

  app.get<{ Querystring: { before?: string } }>('/admin/audit', { preHandler: requireAdmin(context) }, async (request, reply) => {
    const before = request.query.before && /^\d{1,15}$/.test(request.query.before) ? Number(request.query.before) : undefined;
    const entries = await listAudit(db, { before, limit: 100 });
    const last = entries.at(-1);
    return reply.type(html200).send(
      page({
        title: 'Audit log',
        section: 'audit',
        user: pageUser(request),
        body: html`<div class="page-head"><h1>Audit log</h1><p class="lede">Every change made by an admin: corrections, deletions, tokens and admins.</p></div>
<section class="card">${auditTable(entries)}
${entries.length === 100 && last ? html`<p><a class="button" href="/admin/audit?before=${last.id}">Older changes</a></p>` : ''}</section>`,
      }),
    );
  });
};
