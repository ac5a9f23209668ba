// /admin/gates: the managed list of gates (name, capacity) with how many are inside through each now,
// and a link to the venue's big screen. Changes go through the gate service (audited); a refused change
// re-renders the page with the reason. Whoever may see the list but not change it (a viewer) sees it
// without the forms.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app.js';
import { DomainError } from '../../domain/domain-error.js';
import type { Gate } from './gate-service.js';
import { actorOf } from '../../plugins/access-control.js';
import { idOf, pageUserOf } from '../../http/page-request.js';
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, dangerButton, notice, page, tableHead, userCan, type PageUser } from '../../views/layout.js';
import { formText, type FormBody } from '../../views/form.js';

/** '' = no limit; otherwise a whole number (the service checks the range). */
function capacityField(value: string): number | null {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (!/^\d{1,9}$/.test(trimmed)) throw DomainError.invalid('capacity', 'must be a whole number from 1 to 1000000, or empty for no limit');
  return Number(trimmed);
}

const DONE: Record<string, string> = { added: 'Gate added.', saved: 'Gate saved.', removed: 'Gate removed from the list.' };

export const adminGateRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  async function render(request: FastifyRequest, top: SafeHtml | '' = '') {
    const user = pageUserOf(request);
    const [gates, now] = await Promise.all([services.gates.list(actorOf(request)), services.gates.occupancy({ fresh: true })]);
    const insideAt = new Map(now.gates.map((g) => [g.gate, g.inside]));
    const unlisted = now.gates.filter((g) => !g.listed);
    const writes = userCan(user, 'gates:write');
    return page({
      title: 'Gates',
      section: 'gates',
      user,
      scripts: ['admin.js'],
      body: html`<div class="page-head">
          <h1>Gates</h1>
          <p class="lede">
            The gates kiosks choose from, with an optional capacity. The <a href="/screen">big screen</a> shows who is inside per gate
            against it, with no names.
          </p>
        </div>
        ${top}
        <div class="${writes ? 'grid-2 grid-wide-left' : ''}">
          <section class="card" aria-labelledby="gates-title">
            <h2 id="gates-title">Gates</h2>
            ${
              gates.length === 0
                ? html`<p class="empty">No gates yet.</p>`
                : html`<table class="table" id="gate-table">
                    ${tableHead(writes ? ['Name', 'Capacity', 'Inside now', html`<span class="visually-hidden">Actions</span>`] : ['Name', 'Capacity', 'Inside now'])}
                    <tbody>
                      ${gates.map((g) => (writes ? gateRow(user, g, insideAt.get(g.name) ?? 0) : readOnlyRow(g, insideAt.get(g.name) ?? 0)))}
                    </tbody>
                  </table>`
            }
            ${
              unlisted.length === 0
                ? ''
                : html`<p class="hint" id="unlisted-gates">
                    Check-ins today also name gates not on the list:
                    ${unlisted.map((g, i) => html`${i > 0 ? ', ' : ''}<strong>${g.gate || '(none)'}</strong> (${String(g.inside)} inside)`)}.
                  </p>`
            }
          </section>
          ${
            writes
              ? html`<section class="card" aria-labelledby="new-gate-title">
                  <h2 id="new-gate-title">Add a gate</h2>
                  <form method="post" action="/admin/gates" class="stack">
                    ${csrfField(user)}
                    <label for="gate-name">Name</label>
                    <input id="gate-name" name="name" required maxlength="100" placeholder="North" />
                    <label for="gate-capacity"
                      >Capacity <span class="hint">(optional: people inside through this gate at once)</span></label
                    >
                    <input id="gate-capacity" name="capacity" type="number" min="1" max="1000000" inputmode="numeric" />
                    <button class="button button-primary" type="submit">Add gate</button>
                  </form>
                </section>`
              : ''
          }
        </div>`,
    });
  }

  /** Runs a change; a refusal (bad field, name taken, gone, not allowed) re-renders the page with its reason. */
  async function change(request: FastifyRequest, reply: FastifyReply, work: () => Promise<unknown>, done: string) {
    try {
      await work();
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return reply
        .code(error.status)
        .type('text/html; charset=utf-8')
        .send(await render(request, notice('error', error.detail)));
    }
    return reply.redirect(`/admin/gates?done=${done}`, 303);
  }

  app.get<{ Querystring: { done?: string } }>('/admin/gates', { config: { access: 'admin-page' } }, async (request, reply) => {
    const done = DONE[request.query.done ?? ''];
    return reply.type('text/html; charset=utf-8').send(await render(request, done ? notice('success', done) : ''));
  });

  app.post<{ Body: FormBody }>('/admin/gates', { config: { access: 'admin-page' } }, async (request, reply) =>
    change(
      request,
      reply,
      () =>
        services.gates.create(actorOf(request), {
          name: formText(request.body, 'name'),
          capacity: capacityField(formText(request.body, 'capacity')),
        }),
      'added',
    ),
  );

  app.post<{ Params: { id: string }; Body: FormBody }>('/admin/gates/:id', { config: { access: 'admin-page' } }, async (request, reply) =>
    change(
      request,
      reply,
      () =>
        services.gates.change(actorOf(request), gateId(request.params.id), {
          name: formText(request.body, 'name'),
          capacity: capacityField(formText(request.body, 'capacity')),
        }),
      'saved',
    ),
  );

  app.post<{ Params: { id: string } }>('/admin/gates/:id/delete', { config: { access: 'admin-page' } }, async (request, reply) =>
    change(request, reply, () => services.gates.remove(actorOf(request), gateId(request.params.id)), 'removed'),
  );
};

/** A gate with its own form to rename it or change its capacity, and its remove button. */
function gateRow(user: PageUser, g: Gate, inside: number): SafeHtml {
  return html`<tr data-gate-id="${String(g.id)}">
    <td colspan="2">
      <form method="post" action="/admin/gates/${String(g.id)}" class="inline-form">
        ${csrfField(user)}
        <label class="visually-hidden" for="gate-name-${String(g.id)}">Name</label>
        <input id="gate-name-${String(g.id)}" name="name" value="${g.name}" required maxlength="100" />
        <label class="visually-hidden" for="gate-capacity-${String(g.id)}">Capacity of ${g.name}</label>
        <input
          id="gate-capacity-${String(g.id)}"
          name="capacity"
          type="number"
          min="1"
          max="1000000"
          inputmode="numeric"
          value="${g.capacity === null ? '' : String(g.capacity)}"
          placeholder="no limit"
        />
        <button class="button button-small" type="submit">Save<span class="visually-hidden"> ${g.name}</span></button>
      </form>
    </td>
    <td>${String(inside)}</td>
    <td>
      ${dangerButton({
        user,
        action: `/admin/gates/${String(g.id)}/delete`,
        confirm: `Remove the gate ${g.name} from the list? Its check-ins keep the gate name.`,
        label: 'Remove',
        subject: g.name,
      })}
    </td>
  </tr>`;
}

/** A gate as those who may not change the list see it. */
function readOnlyRow(g: Gate, inside: number): SafeHtml {
  return html`<tr data-gate-id="${String(g.id)}">
    <td>${g.name}</td>
    <td>${g.capacity === null ? 'no limit' : String(g.capacity)}</td>
    <td>${String(inside)}</td>
  </tr>`;
}

/** Gate ids are 32-bit: anything else names no gate. */
function gateId(value: string): number {
  const id = idOf(value);
  if (id === undefined || id > 2147483647) throw DomainError.notFoundOf('gate', value);
  return id;
}
