// The e-mail page (/admin/mail): whether e-mail is configured, and the message log.
import { html, type SafeHtml } from '../../views/html.js';
import { dateTime, notice, page, tableHead, type PageUser } from '../../views/layout.js';
import type { MailMessage } from './mail-service.js';
import type { MailStatus } from './mail-service.js';

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
