// The cookies of the admin pages (session, sign-in CSRF): HttpOnly, SameSite=Strict, and Secure when
// COOKIE_SECURE says so or (auto) when the browser reached us over HTTPS.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';

/** True when the browser reached us over HTTPS (directly, or through a proxy that says so). */
export function isHttps(request: FastifyRequest): boolean {
  if (request.protocol === 'https') return true;
  const forwarded = request.headers['x-forwarded-proto'];
  return typeof forwarded === 'string' && forwarded.split(',')[0]!.trim().toLowerCase() === 'https';
}

export function setCookie(
  context: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  value: string,
  maxAgeSeconds?: number,
) {
  const mode = context.config.auth.cookieSecure;
  reply.setCookie(name, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: mode === 'always' || (mode === 'auto' && isHttps(request)),
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  });
}

export function clearCookie(reply: FastifyReply, name: string) {
  reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'strict' });
}
