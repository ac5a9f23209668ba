// /admin/badges: printable badges with a QR code of each person's badge code, for the kiosk's scanner or
// camera. ?group={id} prints every member of a group, ?person={id} one person (repeated: a selection);
// ?layout=card prints one
// badge per card-sized page (85.6 × 54 mm) instead of eight per A4 sheet. Without either, the page lets
// the admin choose a group or find a person. A badge code is a credential: it appears only inside the QR
// code and, small, under it for typing by hand; the page is never cached (no-store, like every admin page).
// Groups and people are read through their services, so a leader finds and prints only their groups and
// the members of those; anyone or anything else is not found.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app.js';
import { DomainError } from '../../domain/domain-error.js';
import type { SeenPerson as Person } from './person-service.js';
import { actorOf } from '../../plugins/access-control.js';
import { idOf, pageUserOf } from '../../http/page-request.js';
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, notice, page, userCan, type PageUser } from '../../views/layout.js';
import { formTexts, type FormBody } from '../../views/form.js';
import { qrCode } from './qr-code.js';

type Layout = 'sheet' | 'card';
interface BadgeQuery {
  group?: string;
  person?: string | string[];
  q?: string;
  layout?: string;
}

const GROUPS_SHOWN = 200;
const PEOPLE_SHOWN = 50;
const SELECTION_MAX = 500;

/** An id from the query, undefined when absent, or null when it is not one. */
function queryIdOf(value: string | undefined): number | undefined | null {
  if (value === undefined || value === '') return undefined;
  return idOf(value) ?? null;
}

async function badge(person: Person): Promise<SafeHtml> {
  // The services give the code only to those who may change people: nobody else prints badges.
  if (person.badge === null)
    throw DomainError.forbidden('A badge checks its holder in: printing badges needs a role that may change people.');
  const name = `${person.firstname} ${person.lastname}`;
  return html`<article class="badge-card" aria-label="Badge of ${name}">
    <div class="badge-text">
      <p class="badge-name"><span class="badge-first">${person.firstname}</span> <span class="badge-last">${person.lastname}</span></p>
      ${person.externalRef ? html`<p class="badge-ref">${person.externalRef}</p>` : ''}
    </div>
    ${await qrCode(person.badge, `QR code of the badge of ${name}`, 'qr-code badge-qr')}
    <p class="badge-code" title="Badge code, for typing it at the kiosk by hand">${person.badge}</p>
  </article>`;
}

export const adminBadgeRoutes: FastifyPluginAsync<AppContext> = async (app, { services }) => {
  /** "Send badges by e-mail" for the people shown who have an address (owners, managers). */
  function sendByMail(user: PageUser, people: Person[]): SafeHtml | '' {
    if (!userCan(user, 'mail:send') || people.length === 0) return '';
    if (!services.mail.configured) {
      return notice('info', 'E-mail is not configured: badges cannot be sent by e-mail (the operator sets SMTP_URL and MAIL_FROM).');
    }
    const reachable = people.filter((p) => p.email !== null);
    if (reachable.length === 0) return html`<p class="hint no-print">Nobody shown has an e-mail address to send a badge to.</p>`;
    return html`<form method="post" action="/admin/badges/send" class="no-print inline-form">
      ${csrfField(user)} ${reachable.map((p) => html`<input type="hidden" name="person" value="${p.id}" />`)}
      <button class="button" type="submit">Send badges by e-mail</button>
      <span class="hint">to the ${reachable.length} of ${people.length} shown who have an e-mail address</span>
    </form>`;
  }

  /** The page to choose whose badges to print: every group the user may see, and a search for people. */
  async function chooser(user: PageUser, q: string, top: SafeHtml | '' = '') {
    const actor = user.actor!;
    const groups = (await services.groups.search(actor, { limit: GROUPS_SHOWN })).items;
    const found = q.trim() === '' ? undefined : (await services.people.search(actor, { q, limit: PEOPLE_SHOWN })).items;
    return page({
      title: 'Badges',
      section: 'badges',
      user,
      body: html`<div class="page-head">
          <h1>Badges</h1>
          <p class="lede">
            Print badges with a QR code that the kiosk scans (a USB or Bluetooth scanner, or the tablet's camera). Reissuing a person's
            badge makes the old one stop working.
          </p>
        </div>
        ${top}
        <div class="grid-2">
          <section class="card" aria-labelledby="badge-groups-title">
            <h2 id="badge-groups-title">A group</h2>
            ${
              groups.length === 0
                ? html`<p class="empty">No groups yet.</p>`
                : html`<ul class="badge-choices">
                    ${groups.map(
                      (g) =>
                        html`<li>
                          <a href="/admin/badges?group=${g.id}">${g.name}</a>
                          <span class="hint">${g.memberCount} ${g.memberCount === 1 ? 'member' : 'members'}</span>
                        </li>`,
                    )}
                  </ul>`
            }
          </section>
          <section class="card" aria-labelledby="badge-person-title">
            <h2 id="badge-person-title">People</h2>
            <form method="get" action="/admin/badges" class="stack" role="search">
              <label for="badge-q">Name or reference</label>
              <input id="badge-q" name="q" type="search" value="${q}" maxlength="200" autocomplete="off" />
              <button class="button" type="submit">Find</button>
            </form>
            ${
              found === undefined
                ? ''
                : found.length === 0
                  ? html`<p class="empty">Nobody matches “${q}”.</p>`
                  : html`<form method="get" action="/admin/badges" class="stack">
                      <fieldset class="stack">
                        <legend>Whose badges to print</legend>
                        ${found.map(
                          (p) =>
                            html`<label
                              ><input type="checkbox" name="person" value="${p.id}" /> ${p.firstname} ${p.lastname}
                              ${p.externalRef ? html`<span class="hint">${p.externalRef}</span>` : ''}</label
                            >`,
                        )}
                      </fieldset>
                      <button class="button button-primary" type="submit">Print the chosen badges</button>
                    </form>`
            }
          </section>
        </div>`,
    });
  }

  /** The print-ready sheet (or cards) of `people`. */
  async function sheet(user: PageUser, title: string, people: Person[], layout: Layout, base: string) {
    const other: Layout = layout === 'sheet' ? 'card' : 'sheet';
    const cards: SafeHtml[] = [];
    for (const person of people) cards.push(await badge(person));
    return page({
      title: `Badges: ${title}`,
      section: 'badges',
      user,
      bodyClass: 'badges-print',
      body: html`<div class="page-head no-print">
          <h1>Badges: ${title}</h1>
          <p class="lede">
            ${people.length} ${people.length === 1 ? 'badge' : 'badges'},
            ${layout === 'sheet' ? 'up to 8 on each A4 page' : 'one on each card-sized page (85.6 × 54 mm)'}. Print with the browser (Ctrl+P
            or ⌘P) at 100 % scale, without headers and footers.
          </p>
          <p>
            <a href="${base}&layout=${other}">${other === 'sheet' ? 'Print on A4 sheets instead' : 'Print one badge per card instead'}</a> ·
            <a href="/admin/badges">Other badges</a>
          </p>
        </div>
        ${sendByMail(user, people)} ${people.length === 0 ? notice('info', 'This group has no members yet.') : ''}
        <div class="badge-sheet badge-layout-${layout}">${cards}</div>`,
    });
  }

  app.get<{ Querystring: BadgeQuery }>('/admin/badges', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = pageUserOf(request);
    const actor = actorOf(request);
    const send = (status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);
    const layout: Layout = request.query.layout === 'card' ? 'card' : 'sheet';
    const groupId = queryIdOf(request.query.group);
    const personIds = [request.query.person ?? []].flat().slice(0, SELECTION_MAX).map(queryIdOf);
    if (groupId === null || personIds.includes(null)) {
      const field = groupId === null ? 'group' : 'person';
      return send(400, await chooser(user, '', notice('error', `The ${field} in the address is not an id; choose below.`)));
    }
    try {
      if (groupId !== undefined) {
        const group = await services.groups.get(actor, groupId);
        const members = await services.groups.members(actor, groupId);
        return send(200, await sheet(user, group.name, members, layout, `/admin/badges?group=${groupId}`));
      }
      const ids = [...new Set(personIds.filter((id): id is number => id !== undefined && id !== null))];
      if (ids.length > 0) {
        const chosen: Person[] = [];
        for (const id of ids) chosen.push(await services.people.get(actor, id));
        const title = chosen.length === 1 ? `${chosen[0]!.firstname} ${chosen[0]!.lastname}` : `${chosen.length} people`;
        return send(200, await sheet(user, title, chosen, layout, `/admin/badges?${ids.map((id) => `person=${id}`).join('&')}`));
      }
    } catch (error) {
      if (error instanceof DomainError && error.status === 404) {
        return send(404, await chooser(user, '', notice('error', error.detail)));
      }
      throw error;
    }
    return send(200, await chooser(user, request.query.q ?? ''));
  });

  app.post<{ Body: FormBody }>('/admin/badges/send', { config: { access: 'admin-page' } }, async (request, reply) => {
    const user = pageUserOf(request);
    const send = (status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);
    const ids = formTexts(request.body, 'person').slice(0, SELECTION_MAX).map(idOf);
    if (ids.includes(undefined)) return send(400, await chooser(user, '', notice('error', 'A person in the form is not an id.')));
    try {
      const sent = await services.mail.sendBadges(user.actor!, ids as number[]);
      const missing = sent.withoutEmail.length;
      const done = `${sent.queued} ${sent.queued === 1 ? 'badge' : 'badges'} queued for sending by e-mail${
        missing > 0 ? `; ${missing} without an e-mail address` : ''
      }. The E-mail page shows how each went.`;
      return send(200, await chooser(user, '', notice('success', done)));
    } catch (error) {
      if (error instanceof DomainError && [400, 404, 503].includes(error.status)) {
        return send(error.status, await chooser(user, '', notice('error', error.detail)));
      }
      throw error;
    }
  });
};
