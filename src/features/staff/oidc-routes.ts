// Sign-in with OpenID Connect (only when OIDC_ISSUER is set): GET /admin/oidc/start sends the browser
// to the provider, GET /admin/oidc/callback completes the flow and opens the same session a password
// sign-in opens. The protocol is oidc-client.ts; who may sign in, with which role, is
// StaffService.signInWithOidc. Both routes are public, like the sign-in page.
//
// The flow (state, nonce, PKCE verifier, redirect URI, next page, start time) is kept in the browser,
// in one cookie: HttpOnly, Path=/admin/oidc, ten minutes, SameSite=Lax (the callback is a top-level
// navigation from the provider's site, which a Strict cookie would not follow), Secure as the session
// cookie is. Its value is signed with an HMAC keyed from OIDC_CLIENT_SECRET, which every replica shares,
// so any replica completes a flow another one started, with no table and no migration. The cookie is
// used once: the callback clears it whatever happens.
import { createHash, createHmac } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app.js';
import { DomainError } from '../../domain/domain-error.js';
import { sameSecret } from '../../domain/secrets.js';
import { isHttps, setCookie } from '../../http/cookies.js';
import { html } from '../../views/html.js';
import { notice, page } from '../../views/layout.js';
import { landing, safeNext } from './landing.js';
import { OidcClient, type OidcFlow, OidcProblem } from './oidc-client.js';
import { SESSION_COOKIE } from './sessions.js';

export const OIDC_FLOW_COOKIE = 'barona_oidc';
const FLOW_PATH = '/admin/oidc';
const FLOW_SECONDS = 10 * 60;
const CALLBACK_PATH = '/admin/oidc/callback';

/** Signs and reads the flow cookie: base64url(JSON).base64url(HMAC-SHA256). */
class FlowSeal {
  private readonly key: Buffer;
  constructor(clientSecret: string) {
    this.key = createHash('sha256').update(`barona oidc flow\n${clientSecret}`).digest();
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }

  seal(flow: OidcFlow): string {
    const payload = Buffer.from(JSON.stringify(flow)).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  open(value: string | undefined): OidcFlow | undefined {
    const [payload, mac, ...rest] = (value ?? '').split('.');
    if (!payload || !mac || rest.length > 0 || !sameSecret(mac, this.mac(payload))) return undefined;
    try {
      const flow = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<OidcFlow>;
      const strings = [flow.state, flow.nonce, flow.verifier, flow.redirectUri, flow.next];
      if (strings.some((v) => typeof v !== 'string') || typeof flow.startedAt !== 'number') return undefined;
      return flow as OidcFlow;
    } catch {
      return undefined;
    }
  }
}

function problemPage(title: string, detail: string): string {
  return page({
    title,
    bodyClass: 'signin',
    body: html`<section class="signin-card" aria-labelledby="signin-title">
      <div class="brand brand-large"><span class="brand-mark" aria-hidden="true">B</span>Barona</div>
      <h1 id="signin-title">${title}</h1>
      ${notice('error', detail)}
      <p><a class="button button-primary button-wide" href="/admin">Back to sign-in</a></p>
    </section>`,
  });
}

/**
 * After the callback: a page that moves on to `next` by itself. A redirect would still belong to the
 * navigation that came from the provider's site, and the browser would not send the SameSite=Strict
 * session cookie with it; a navigation from this page is our own.
 */
function continuePage(next: string, username: string): string {
  return page({
    title: 'Signed in',
    bodyClass: 'signin',
    body: html`<meta http-equiv="refresh" content="0; url=${next}" />
      <section class="signin-card" aria-labelledby="signin-title">
        <div class="brand brand-large"><span class="brand-mark" aria-hidden="true">B</span>Barona</div>
        <h1 id="signin-title">Signed in as ${username}</h1>
        <p><a class="button button-primary button-wide" href="${next}">Continue</a></p>
      </section>`,
  });
}

function send(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
}

export const oidcRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  const oidc = context.config.oidc;
  if (!oidc) return;
  const client = new OidcClient(oidc);
  const seal = new FlowSeal(oidc.clientSecret);

  /** The public callback URL: OIDC_REDIRECT_URL, else this request's scheme and host (a proxy's only when trusted). */
  const redirectUri = (request: FastifyRequest) =>
    oidc.redirectUrl?.href ?? new URL(CALLBACK_PATH, `${request.protocol}://${request.host}`).href;

  const setFlowCookie = (request: FastifyRequest, reply: FastifyReply, value: string, maxAge: number) => {
    const mode = context.config.auth.cookieSecure;
    reply.setCookie(OIDC_FLOW_COOKIE, value, {
      path: FLOW_PATH,
      httpOnly: true,
      sameSite: 'lax',
      secure: mode === 'always' || (mode === 'auto' && isHttps(request)),
      maxAge,
    });
  };

  const refuse = (request: FastifyRequest, reply: FastifyReply, status: number, title: string, detail: string, reason: string) => {
    request.log.info({ event: 'oidc sign-in failed', status, reason }, 'OpenID Connect sign-in failed');
    return send(reply, status, problemPage(title, detail));
  };

  app.get<{ Querystring: { next?: string } }>('/admin/oidc/start', { config: { access: 'public' } }, async (request, reply) => {
    try {
      const { url, flow } = await client.start(redirectUri(request), safeNext(request.query.next));
      setFlowCookie(request, reply, seal.seal(flow), FLOW_SECONDS);
      return reply.header('cache-control', 'no-store').redirect(url.href, 303);
    } catch (error) {
      if (!(error instanceof OidcProblem)) throw error;
      return refuse(request, reply, error.status, error.title, error.message, error.reason);
    }
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(CALLBACK_PATH, { config: { access: 'public' } }, async (request, reply) => {
    const flow = seal.open(request.cookies[OIDC_FLOW_COOKIE]);
    // One use: the flow cookie goes whatever the outcome.
    setFlowCookie(request, reply, '', 0);
    if (!flow || Date.now() - flow.startedAt > FLOW_SECONDS * 1000) {
      return refuse(
        request,
        reply,
        400,
        'Sign-in expired',
        'That sign-in was not started in this browser, or took longer than ten minutes. Start again.',
        flow ? 'flow expired' : 'no flow',
      );
    }
    if (!sameSecret(request.query.state, flow.state)) {
      return refuse(
        request,
        reply,
        400,
        'Sign-in not recognised',
        'That sign-in was not started in this browser. Start again.',
        'state mismatch',
      );
    }
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query)) if (typeof value === 'string') query.set(name, value);
    try {
      const identity = await client.finish(flow, query);
      const outcome = await context.services.staff.signInWithOidc(identity);
      setCookie(context, request, reply, SESSION_COOKIE, outcome.token);
      request.log.info(
        { event: 'signed in', method: 'oidc', userId: outcome.session.userId, created: outcome.created, changed: outcome.changed },
        'admin signed in with OpenID Connect',
      );
      if (outcome.emailIgnored !== undefined) {
        // The reason only: the address itself is personal data, and not one Barona accepts anyway.
        request.log.warn(
          { event: 'oidc email ignored', userId: outcome.session.userId, reason: outcome.emailIgnored },
          "the provider's verified e-mail address was not stored",
        );
      }
      const { session } = outcome;
      const actor = { kind: 'staff', id: session.userId, username: session.username, role: session.role, groups: session.groups } as const;
      const next = landing(safeNext(flow.next), actor);
      return send(reply, 200, continuePage(next, session.username));
    } catch (error) {
      if (error instanceof OidcProblem) return refuse(request, reply, error.status, error.title, error.message, error.reason);
      if (error instanceof DomainError)
        return refuse(request, reply, error.status, 'Sign-in refused', error.detail, `refused ${error.status}`);
      throw error;
    }
  });
};
