// The e-mail page (/admin/mail): whether e-mail is configured, and the message log. Also the cards other
// pages show: a person's contacts (the person page) and a group's absence alerts and register report (the
// group page); those pages' routes post their forms to the mail service.
import { fieldError, invalidAttributes } from '../../views/form.js';
import { html, type SafeHtml } from '../../views/html.js';
import { csrfField, dateTime, notice, page, tableHead, userCan, type PageUser } from '../../views/layout.js';
import type { Contact, GroupReports, MailMessage, MailStatus } from './mail-service.js';

const PURPOSES: Record<MailMessage['purpose'], string> = {
  badge: 'badge',
  'absence-alert': 'absence alert',
  'register-report': 'register report',
};

function result(m: MailMessage): SafeHtml {
  const last = m.lastAttempt;
  switch (m.state) {
    case 'delivered':
      return html`<span class="badge badge-create">sent</span>`;
    case 'failed':
      return html`<span class="badge badge-delete">failed</span> ${last?.error ?? ''}`;
    case 'cancelled':
      return html`<span class="badge badge-muted">cancelled</span>`;
    case 'pending':
      return last
        ? html`<span class="badge badge-muted">retrying</span> ${last.error ?? ''}`
        : html`<span class="badge badge-muted">queued</span>`;
  }
}

/** The notice every e-mail page and button shows when SMTP_URL is not set. */
export function notConfiguredNotice(): SafeHtml | '' {
  return notice(
    'info',
    'E-mail is not configured: nothing is sent or queued. The operator sets SMTP_URL and MAIL_FROM (README, configuration) to turn it on.',
  );
}

export function mailPage(user: PageUser, status: MailStatus, messages: MailMessage[], nextCursor: string | null): string {
  return page({
    title: 'E-mail',
    section: 'mail',
    user,
    body: html`<div class="page-head">
        <h1>E-mail</h1>
        <p class="lede">
          Badges, absence alerts and register reports sent by e-mail, newest first: to whom, what, and how it went. Messages the mail server
          does not take at once are retried for a day; a refusal (5xx) is final. No message text is kept once sent.
        </p>
      </div>
      ${
        status.configured
          ? notice(
              'success',
              html`E-mail is configured: messages are sent from <code>${status.from ?? ''}</code> as ${status.organisationName}.`,
            )
          : notConfiguredNotice()
      }
      <section class="card" aria-labelledby="mail-log-title">
        <h2 id="mail-log-title">Messages</h2>
        ${
          messages.length === 0
            ? html`<p class="empty">No messages yet.</p>`
            : html`<table class="table" id="mail-table">
                ${tableHead(['Queued', 'To', 'What', 'Subject', 'Attempts', 'Result'])}
                <tbody>
                  ${messages.map(
                    (m) =>
                      html`<tr data-message-id="${m.id}">
                        <td>${dateTime(m.createdAt)}<br /><span class="hint">by ${m.requestedBy}</span></td>
                        <td>${m.recipient}</td>
                        <td>${PURPOSES[m.purpose]}</td>
                        <td>${m.subject}</td>
                        <td>${m.attempts}${m.lastAttempt ? html`<br /><span class="hint">${dateTime(m.lastAttempt.at)}</span>` : ''}</td>
                        <td>${result(m)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
        ${nextCursor ? html`<p><a class="button" href="/admin/mail?cursor=${encodeURIComponent(nextCursor)}">Older messages</a></p>` : ''}
      </section>`,
  });
}

/** What the contacts card shows again after a refused addition. */
export interface ContactsFormState {
  email?: string;
  name?: string;
  errors?: { email?: string; name?: string; form?: string };
}

/**
 * A person's e-mail contacts (whom absence alerts go to): the list, and for those who change people a
 * Remove button on each and a form to add one. Says so when e-mail is not configured.
 */
export function contactsCard(
  user: PageUser,
  personId: number,
  contacts: readonly Contact[],
  configured: boolean,
  state: ContactsFormState = {},
): SafeHtml {
  const mayWrite = userCan(user, 'people:write');
  const errors = state.errors ?? {};
  return html`<section class="card" id="contacts" aria-labelledby="contacts-title">
    <h2 id="contacts-title">Contacts</h2>
    <p class="hint">Told by e-mail when they have not arrived at a group with absence alerts on (a parent, a guardian).</p>
    ${configured ? '' : notice('info', 'E-mail is not configured: nothing is sent to contacts (the operator sets SMTP_URL and MAIL_FROM).')}
    ${
      contacts.length === 0
        ? html`<p class="empty">No contacts.</p>`
        : html`<ul class="plain-list" id="contact-list">
            ${contacts.map(
              (contact) =>
                html`<li data-contact="${contact.email}">
                  ${contact.name ? html`${contact.name} · ` : ''}<span class="mono">${contact.email}</span>
                  ${
                    mayWrite
                      ? html`<form method="post" action="/admin/people/${personId}/contacts/remove" class="inline-form">
                          ${csrfField(user)}<input type="hidden" name="email" value="${contact.email}" />
                          <button type="submit" class="button button-small button-quiet">
                            Remove<span class="visually-hidden"> ${contact.email}</span>
                          </button>
                        </form>`
                      : ''
                  }
                </li>`,
            )}
          </ul>`
    }
    ${
      mayWrite
        ? html`<form method="post" action="/admin/people/${personId}/contacts" class="stack" novalidate>
            ${csrfField(user)} ${errors.form ? html`<p class="field-error">${errors.form}</p>` : ''}
            <label for="contact-email">Contact's e-mail address</label>
            <input
              id="contact-email"
              name="email"
              type="email"
              maxlength="254"
              autocomplete="off"
              value="${state.email ?? ''}"
              ${invalidAttributes('contact-email', errors.email)}
            />
            ${fieldError('contact-email', errors.email)}
            <label for="contact-name">Contact's name <span class="hint">(optional)</span></label>
            <input
              id="contact-name"
              name="name"
              maxlength="100"
              autocomplete="off"
              value="${state.name ?? ''}"
              ${invalidAttributes('contact-name', errors.name)}
            />
            ${fieldError('contact-name', errors.name)}
            <button type="submit" class="button">Add contact</button>
          </form>`
        : ''
    }
  </section>`;
}

const SCHEDULE_WORDS: Record<GroupReports['schedule'], string> = {
  off: 'off',
  daily: 'daily — the previous day’s register, each morning',
  weekly: 'weekly — the last week’s register, on Mondays',
};

/**
 * A group's e-mail: absence alerts on or off and the register report's schedule; a form for owners and
 * managers, the settings in words for the others. Says so when e-mail is not configured.
 */
export function groupMailCard(user: PageUser, groupId: number, alerts: boolean, reports: GroupReports, configured: boolean): SafeHtml {
  const recipients =
    reports.recipients === 0
      ? 'No leader of this group has an e-mail address: nobody would get the report (an owner adds one on the Staff page).'
      : `Sent to the ${reports.recipients} ${reports.recipients === 1 ? 'leader' : 'leaders'} of this group with an e-mail address.`;
  return html`<section class="card" id="group-mail" aria-labelledby="group-mail-title">
    <h2 id="group-mail-title">E-mail</h2>
    ${configured ? '' : notice('info', 'E-mail is not configured: no alerts or reports are sent (the operator sets SMTP_URL and MAIL_FROM).')}
    ${
      userCan(user, 'mail:send')
        ? html`<form method="post" action="/admin/groups/${groupId}/mail" class="stack">
            ${csrfField(user)}
            <label
              ><input type="checkbox" id="absence-alerts" name="absenceAlerts" value="on" ${alerts ? html`checked` : ''} /> Absence alerts:
              a member who has not arrived by the start time plus grace (and is not excused) has their contacts told once that day</label
            >
            <label for="report-schedule">Register report to the group’s leaders</label>
            <select id="report-schedule" name="schedule">
              ${(['off', 'daily', 'weekly'] as const).map(
                (schedule) =>
                  html`<option value="${schedule}" ${schedule === reports.schedule ? html`selected` : ''}>
                    ${SCHEDULE_WORDS[schedule]}
                  </option>`,
              )}
            </select>
            <p class="hint" id="report-recipients">${recipients}</p>
            <button type="submit" class="button">Update e-mail settings</button>
          </form>`
        : html`<dl class="diff" id="group-mail-settings">
            <dt>Absence alerts</dt>
            <dd>${alerts ? 'on' : 'off'}</dd>
            <dt>Register report</dt>
            <dd>${SCHEDULE_WORDS[reports.schedule]}</dd>
          </dl>`
    }
  </section>`;
}
