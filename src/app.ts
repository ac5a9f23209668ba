// Builds the HTTP application: framework settings, then what is installed, in order: at the root what
// every answer needs, the services (src/services.ts: each feature's one door) and the probes; then one
// encapsulated context with the cross-cutting plugins (src/plugins/) and every feature's route modules
// (src/features/<name>/*-routes.ts), which are given the services, never the database.
// The process concerns (listening, signals, database start-up) live in server.ts.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { RequestLogController, loggerOptions } from './logging.js';
import { ConnectionEnding } from './http/connection-ending.js';
import { Metrics } from './metrics.js';
import type { Readiness } from './readiness.js';
import { serviceDeps, type Services } from './services.js';
import { accessControl } from './plugins/access-control.js';
import { errorHandler, notFound } from './plugins/error-handler.js';
import { firstAdmin } from './plugins/first-admin.js';
import { liveUpdates } from './plugins/live-updates.js';
import { requestMetrics } from './plugins/metrics.js';
import { registerOpenApi } from './plugins/openapi.js';
import { webSecurity } from './plugins/web-security.js';
import { writeLimit } from './plugins/write-limit.js';
import { AuditService } from './features/audit/audit-service.js';
import { adminAuditRoutes } from './features/audit/page-routes.js';
import { CheckinService } from './features/checkins/checkin-service.js';
import { CheckinWriter } from './features/checkins/checkin-writer.js';
import { adminEntryRoutes } from './features/checkins/entry-page-routes.js';
import { adminEventRoutes } from './features/checkins/live-routes.js';
import { seedTableRoutes } from './features/checkins/seed-routes.js';
import { adminSheetRoutes } from './features/checkins/sheet-page-routes.js';
import { GateService } from './features/gates/gate-service.js';
import { adminGateRoutes } from './features/gates/page-routes.js';
import { uiScreenRoutes } from './features/gates/screen-routes.js';
import { GroupService } from './features/groups/group-service.js';
import { adminGroupRoutes } from './features/groups/page-routes.js';
import { adminRegisterRoutes } from './features/groups/register-page-routes.js';
import { KioskService } from './features/kiosk/kiosk-service.js';
import { uiKioskRoutes } from './features/kiosk/page-routes.js';
import { adminBadgeRoutes } from './features/people/badge-page-routes.js';
import { adminPeopleRoutes } from './features/people/page-routes.js';
import { PersonService } from './features/people/person-service.js';
import { RetentionService } from './features/retention/retention-service.js';
import { oidcRoutes } from './features/staff/oidc-routes.js';
import { adminUserRoutes } from './features/staff/page-routes.js';
import { adminRoutes } from './features/staff/sign-in-routes.js';
import { StaffService } from './features/staff/staff-service.js';
import { adminTokenRoutes } from './features/tokens/page-routes.js';
import { TokenService } from './features/tokens/token-service.js';
import { adminWebhookRoutes } from './features/webhooks/page-routes.js';
import { WebhookService } from './features/webhooks/webhook-service.js';
import { MailService } from './features/mail/mail-service.js';
import { adminMailRoutes } from './features/mail/page-routes.js';
import { apiRoutes } from './http/api-routes.js';
import { uiAssetRoutes } from './http/asset-routes.js';
import { healthRoutes } from './http/health-routes.js';

/** What the plugins are given (access control looks up sessions and tokens; live updates listen). */
export interface PluginContext {
  config: Config;
  db: Database;
  readiness: Readiness;
}

/** What buildApp is given: the writer is made from config.writeBatch when absent. */
export interface AppInput extends PluginContext {
  /** Group-committing check-in writer (checkin-writer.ts); only the check-in service writes through it. */
  writer?: CheckinWriter;
}

/** What every route module is given: configuration, readiness and the services, never the database. */
export interface AppContext {
  config: Config;
  readiness: Readiness;
  services: Services;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Request ids in the shape of a UUID (what log tools expect): a random first part per process and a
 * count in the last twelve digits, unique across replicas and restarts without asking the random
 * source for 16 bytes on every request.
 */
class RequestIds {
  private readonly prefix = randomUUID().slice(0, 24);
  private count = 0;

  next(): string {
    this.count = (this.count + 1) % 0x1000000000000;
    return this.prefix + this.count.toString(16).padStart(12, '0');
  }
}

export interface BuildOptions {
  logger?: boolean;
  /** The process's metrics (server.ts shares them with the METRICS_PORT listener); made here when absent. */
  metrics?: Metrics;
  /** More route modules, registered after the built-in ones (for embedding the app, and tests). */
  routes?: FastifyPluginAsync<AppContext>[];
}

export async function buildApp(input: AppInput, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { config } = input;
  const requestIds = new RequestIds();
  const app = Fastify({
    // Names are personal data and credentials are secrets: neither is logged (see logging.ts).
    logger: options.logger === false ? false : loggerOptions(config.logLevel),
    logController: new RequestLogController(config.logLevel),
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    bodyLimit: 64 * 1024,
    // Slow or stalled clients cannot hold a connection: headers and whole requests have deadlines.
    requestTimeout: config.httpRequestTimeoutSeconds * 1000,
    http: { headersTimeout: config.httpHeadersTimeoutSeconds * 1000, connectionsCheckingInterval: 1_000 },
    trustProxy: config.trustProxy,
    // A request that reaches us while closing (on a connection accepted just before) is served, not
    // refused: the pool is still open until every in-flight request has finished.
    return503OnClosing: false,
    // Honour an incoming X-Request-Id (from a proxy) when it is sane; otherwise make one.
    requestIdHeader: false,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : requestIds.next();
    },
  });

  // Node hands CONNECT to a 'connect' listener and drops the connection silently without one: answer it.
  app.server.on('connect', (_request, socket) => {
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, POST, OPTIONS\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });

  // Once shutdown has begun, answers end their keep-alive connections (connection-ending.ts).
  const connectionEnding = new ConnectionEnding(input.readiness);
  app.decorate('connectionEnding', connectionEnding);
  // A callback hook, not an async one: no promise per request for synchronous work.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    connectionEnding.arrived(reply);
    done();
  });
  // The OpenAPI document sees the routes registered after it: all of them.
  await registerOpenApi(app);

  const plugins: PluginContext = { config, db: input.db, readiness: input.readiness };
  const metrics = options.metrics ?? new Metrics(input.db);
  app.decorate('metrics', metrics);
  await app.register(errorHandler);
  await app.register(liveUpdates, plugins);

  const writer =
    input.writer ??
    new CheckinWriter(input.db, {
      ...config.writeBatch,
      // PGlite has one connection. On a pool, batches may take half of it (reads keep the rest); more
      // slots would only make batches smaller, since rows that find every slot busy form the next batch.
      maxInFlight: config.database.kind === 'postgres' ? Math.max(1, Math.floor(config.database.poolMax / 2)) : 1,
    });
  // Requests still waiting for a batch are answered before the database is closed.
  app.addHook('onClose', () => writer.close());
  const deps = serviceDeps(input.db, config, { announce: () => app.attendanceEvents.changed() });
  const checkins = new CheckinService(deps, writer, config.checkins, { events: app.attendanceEvents, metrics });
  const people = new PersonService(deps);
  const groups = new GroupService(deps);
  const services: Services = {
    checkins,
    people,
    groups,
    gates: new GateService(deps),
    kiosk: new KioskService(deps, checkins),
    staff: new StaffService(deps),
    tokens: new TokenService(deps),
    audit: new AuditService(deps),
    retention: new RetentionService(deps),
    webhooks: new WebhookService(deps),
    mail: new MailService(deps, people, groups),
  };
  const context: AppContext = { config, readiness: input.readiness, services };

  // The probes (/healthz, /readyz, /metrics) live at the root, beside the hooks every answer needs
  // (request id, connection ending) and nothing else: an orchestrator's probe passes no session,
  // cookie, security-header, rate-limit or request-timing hook, so it answers at nearly the cost of a
  // bare route, and keeps answering whatever those hooks do.
  await app.register(healthRoutes, context);
  // Everything people and programs call, behind the cross-cutting hooks (an encapsulated context:
  // its hooks apply to its routes and its 404s, never to the probes above).
  await app.register(async (scope) => {
    // Unknown paths are answered here, with this context's hooks (security headers, request metrics).
    scope.setNotFoundHandler(notFound);
    await scope.register(requestMetrics, { metrics });
    await scope.register(writeLimit, { writesPerMinute: config.rateLimitWritesPerMinute });
    await scope.register(webSecurity);
    // Before any route: every route registered after this gets the hooks of its declared access.
    await scope.register(accessControl, plugins);
    await scope.register(firstAdmin, plugins);

    await scope.register(seedTableRoutes, context);
    await scope.register(adminRoutes, context);
    await scope.register(oidcRoutes, context);
    await scope.register(adminSheetRoutes, context);
    await scope.register(adminEntryRoutes, context);
    await scope.register(adminAuditRoutes, context);
    await scope.register(adminEventRoutes, context);
    await scope.register(adminPeopleRoutes, context);
    await scope.register(adminGroupRoutes, context);
    await scope.register(adminRegisterRoutes, context);
    await scope.register(adminUserRoutes, context);
    await scope.register(adminTokenRoutes, context);
    await scope.register(adminWebhookRoutes, context);
    await scope.register(adminMailRoutes, context);
    await scope.register(adminGateRoutes, context);
    await scope.register(adminBadgeRoutes, context);
    await scope.register(uiKioskRoutes, context);
    await scope.register(uiScreenRoutes, context);
    await scope.register(uiAssetRoutes, context);
    await scope.register(apiRoutes, { ...context, prefix: '/api' });
    for (const routes of options.routes ?? []) await scope.register(routes, context);
    // Default deny: a route that does not say who may call it stops the start.
    scope.assertAccessDeclared();
  });
  return app;
}
