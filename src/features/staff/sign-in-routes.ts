// GET /admin: the sign-in page (the seed's health checks call it and expect 200), sign-in and sign-out.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app.js';
import { randomSecret, sameSecret } from '../../domain/secrets.js';
import type { Actor } from '../../domain/actor.js';
import { landing, safeNext } from './landing.js';
import { SESSION_COOKIE, type Session } from './sessions.js';
import { waitText } from './staff-service.js';
import { clearCookie, setCookie } from '../../http/cookies.js';
import { html } from '../../views/html.js';
import { notice, page } from '../../views/layout.js';

const LOGIN_CSRF_COOKIE = 'barona_signin';

const staffActor = (session: Session): Actor => ({
  kind: 'staff',
  id: session.userId,
  username: session.username,
  role: session.role,
  groups: session.groups,
});

interface SignInPageOptions {
  csrf: string;
  next: string;
  username?: string;
  error?: string;
  status?: string;
  success?: string;
  /** The OpenID Connect provider's host, when OIDC_ISSUER is set: a button signs in there. */
  oidcHost?: string;
}

function signInPage(options: SignInPageOptions): string {
  // The cursor starts in the username field, or in the password field once a username was entered.
  const autofocus = html` autofocus`;
  const passwordFocus = options.username ? autofocus : '';
  return page({
    title: 'Sign in',
    bodyClass: 'signin',
    body: html`<section class="signin-card" aria-labelledby="signin-title">
      <div class="brand brand-large"><span class="brand-mark" aria-hidden="true">B</span>Barona</div>
      <h1 id="signin-title">Sign in to the attendance admin</h1>
      ${notice('success', options.success)} ${notice('info', options.status)} ${notice('error', options.error)}
      <form method="post" action="/admin/login" class="stack">
        <input type="hidden" name="_csrf" value="${options.csrf}" />
        <input type="hidden" name="next" value="${options.next}" />
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
          value="${options.username ?? ''}"
          ${options.username ? '' : autofocus}
        />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required${passwordFocus} />
        <button type="submit" class="button button-primary button-wide">Sign in</button>
      </form>
      ${
        options.oidcHost
          ? html`<p>
              <a class="button button-wide" href="/admin/oidc/start?next=${encodeURIComponent(options.next)}"
                >Sign in with ${options.oidcHost}</a
              >
            </p>`
          : ''
      }
      <p class="hint">Gate tablets do not sign in here: open the kiosk link an admin created for the gate.</p>
    </section>`,
  });
}

function clientIp(request: FastifyRequest): string {
  return request.ip;
}

export const adminRoutes: FastifyPluginAsync<AppContext> = async (app, context) => {
  const { services } = context;
  const oidcHost = context.config.oidc?.issuer.host;

  app.get<{ Querystring: { next?: string; signedOut?: string; expired?: string; passwordChanged?: string } }>(
    '/admin',
    { config: { access: 'public' } },
    async (request, reply) => {
      // Signed-in admins go straight on; everyone else (and the seed's health check) gets the 200 sign-in page.
      const principal = await app.identify(request).catch(() => null);
      if (principal?.kind === 'session') return reply.redirect(landing(safeNext(request.query.next), principal.actor), 303);
      const csrf = randomSecret();
      setCookie(context, request, reply, LOGIN_CSRF_COOKIE, csrf, 60 * 60);
      const status =
        request.query.signedOut !== undefined
          ? 'You have signed out.'
          : request.query.expired !== undefined
            ? 'Your session had ended, so that form was not sent. Sign in, then send it again.'
            : request.query.next
              ? 'Please sign in to continue.'
              : undefined;
      const success =
        request.query.passwordChanged !== undefined
          ? 'Your password was changed and all your sessions have ended. Sign in with the new password.'
          : undefined;
      return reply
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(signInPage({ csrf, next: safeNext(request.query.next), status: success ? undefined : status, success, oidcHost }));
    },
  );

  app.post<{ Body: Record<string, unknown> }>('/admin/login', { config: { access: 'public' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.trim().slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(body.next);
    const again = (status: number, error: string) => {
      const csrf = randomSecret();
      setCookie(context, request, reply, LOGIN_CSRF_COOKIE, csrf, 60 * 60);
      return reply
        .code(status)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(signInPage({ csrf, next, username, error, oidcHost }));
    };

    if (!sameSecret(typeof body._csrf === 'string' ? body._csrf : undefined, request.cookies[LOGIN_CSRF_COOKIE])) {
      return again(403, 'The sign-in form had expired or did not come from this site. Please try again.');
    }
    if (username === '' || password === '') return again(400, 'Enter your username and password.');

    const outcome = await services.staff.signIn(clientIp(request), username, password);
    if (outcome.kind === 'wait') {
      request.log.info({ event: 'sign-in throttled', retryAfter: outcome.seconds }, 'sign-in throttled');
      reply.header('retry-after', String(outcome.seconds));
      return again(429, `Too many failed sign-ins. Try again in ${waitText(outcome.seconds)}.`);
    }
    if (outcome.kind === 'wrong') {
      request.log.info({ event: 'sign-in failed' }, 'sign-in failed');
      return again(401, 'Wrong username or password.');
    }
    setCookie(context, request, reply, SESSION_COOKIE, outcome.token);
    clearCookie(reply, LOGIN_CSRF_COOKIE);
    request.log.info({ event: 'signed in', userId: outcome.session.userId }, 'admin signed in');
    return reply.redirect(landing(next, request.principal?.actor ?? staffActor(outcome.session)), 303);
  });

  app.post('/admin/logout', { config: { access: 'public' } }, async (request, reply) => {
    const principal = await app.identify(request);
    if (principal?.kind === 'session') {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (!sameSecret(typeof body._csrf === 'string' ? body._csrf : undefined, principal.session.csrfToken)) {
        return reply.code(403).type('text/plain; charset=utf-8').send('CSRF check failed: sign out from the page itself.');
      }
      await services.staff.signOut(principal.session);
    }
    clearCookie(reply, SESSION_COOKIE);
    return reply.redirect('/admin?signedOut', 303);
  });
};
