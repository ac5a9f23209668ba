// The application in-process: buildApp() on its own real PostgreSQL database, driven with fastify's
// inject (no socket, no child process). For fast route tests beside the real-HTTP ones in server.ts.
import type { FastifyInstance, FastifyPluginAsync, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppContext } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { Readiness } from '../../src/readiness.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface TestApp {
  app: FastifyInstance;
  /** The app's own connection to its database (what the routes use). */
  db: Database;
  /** Its database, for assertions and fault injection straight against the tables. */
  database: TestDatabase;
  close(): Promise<void>;
}

/**
 * Builds the app on a fresh migrated database (or `database` when given) with the first admin
 * `admin` / ADMIN_PASSWORD, and waits until the admin exists.
 */
export async function build(
  env: Record<string, string> = {},
  options: { routes?: FastifyPluginAsync<AppContext>[]; database?: TestDatabase } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({ DATABASE_URL: database.url, ADMIN_PASSWORD, LOG_LEVEL: 'warn', ...env });
  const db = await openDatabase(config.database, { timezone: config.timezone });
  let app: FastifyInstance;
  try {
    app = await buildApp({ config, db, readiness: new Readiness(db) }, { logger: false, routes: options.routes });
  } catch (error) {
    await db.close();
    if (!options.database) await database.drop();
    throw error;
  }
  await app.ready();
  for (let i = 0; (await database.query('SELECT 1 FROM admin_users')).length === 0; i++) {
    if (i > 100) throw new Error('the first admin was not created');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    app,
    db,
    database,
    async close() {
      await app.close();
      await db.close();
      if (!options.database) await database.drop();
    },
  };
}

/** An admin signed in through the real sign-in form; sends the session cookie (and CSRF token on writes). */
export interface AdminSession {
  csrf: string;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** A form post, as a browser sends it (the CSRF token in the _csrf field). */
  post(url: string, form: Record<string, string>): Promise<LightMyRequestResponse>;
}

const cookieOf = (response: LightMyRequestResponse, name: string) => response.cookies.find((cookie) => cookie.name === name)?.value;

export async function signIn(app: FastifyInstance, username = 'admin', password = ADMIN_PASSWORD): Promise<AdminSession> {
  const form = await app.inject({ url: '/admin' });
  const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
  const loginCookie = form.cookies.find((cookie) => cookie.name !== 'barona_session');
  if (!loginCsrf || !loginCookie) throw new Error('the sign-in form has no CSRF token');
  const signedIn = await app.inject({
    method: 'POST',
    url: '/admin/login',
    cookies: { [loginCookie.name]: loginCookie.value },
    payload: new URLSearchParams({ _csrf: loginCsrf, username, password, next: '/admin/sheet' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const session = cookieOf(signedIn, 'barona_session');
  if (signedIn.statusCode !== 303 || !session) throw new Error(`sign-in failed with ${signedIn.statusCode}`);
  // Every role may ask who it is; the answer carries the session's CSRF token (as the pages' meta tag does).
  const me = await app.inject({ url: '/api/v1/session', cookies: { barona_session: session } });
  const csrf = me.statusCode === 200 ? (me.json() as { csrfToken?: string }).csrfToken : undefined;
  if (!csrf) throw new Error(`no CSRF token for the session (${me.statusCode})`);
  const inject = (options: InjectOptions) =>
    app.inject({
      ...options,
      cookies: { barona_session: session },
      headers: { ...(options.method && options.method !== 'GET' ? { 'x-csrf-token': csrf } : {}), ...options.headers },
    });
  return {
    csrf,
    inject,
    post: (url, form) =>
      app.inject({
        method: 'POST',
        url,
        cookies: { barona_session: session },
        payload: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
  };
}

export const STAFF_PASSWORD = 'a staff password, long enough';

/**
 * A staff account of `role` (a leader leading `groups`), made by an owner through POST /api/v1/users as
 * a person would, then signed in on /admin.
 */
export async function signInAs(
  app: FastifyInstance,
  owner: AdminSession,
  username: string,
  role: 'owner' | 'manager' | 'leader' | 'viewer',
  groups: number[] = [],
): Promise<AdminSession> {
  const created = await owner.inject({
    method: 'POST',
    url: '/api/v1/users',
    payload: { username, password: STAFF_PASSWORD, role, ...(role === 'leader' ? { groups } : {}) },
  });
  if (created.statusCode !== 201) throw new Error(`could not create ${role} ${username}: ${created.statusCode} ${created.body}`);
  return signIn(app, username, STAFF_PASSWORD);
}
