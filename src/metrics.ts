// Prometheus metrics: HTTP requests by method / route pattern / status, the database pool, check-ins by
// gate (counted by the check-in service for every route that records one), and the default Node process
// metrics. plugins/metrics.ts times the requests; /metrics is served by routes/health.ts or, with
// METRICS_PORT, by listenForMetrics below. Every label has a bounded set of values, so a client cannot
// grow the series count (raw URLs and free-text gates never become labels as such).
import http from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DaySheetAnswer } from './features/checkins/day-sheet.js';
import type { Database } from './db/database.js';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Gates beyond this many distinct values are counted under gate="(other)". */
const MAX_GATE_LABELS = 100;
const NO_GATE = '(none)';
const OTHER_GATE = '(other)';

export class Metrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly checkins: Counter<'gate'>;
  private readonly daySheetReads: Counter<'answer'>;
  /** The counter of each gate seen (at most MAX_GATE_LABELS), by the gate as given. */
  private readonly gates = new Map<string, { inc(): void }>();

  constructor(db: Database) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requestDuration = new Histogram({
      name: 'barona_http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const requestSeries = this.requestSeries;
    this.requests = new Counter({
      name: 'barona_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
      // Counted per request as a plain number (observeRequest), handed to prom-client when scraped.
      collect() {
        for (const series of requestSeries.values()) {
          if (series.count === series.reported) continue;
          this.inc(series.labels, series.count - series.reported);
          series.reported = series.count;
        }
      },
    });
    this.checkins = new Counter({
      name: 'barona_checkins_created_total',
      help: `Check-ins stored by this process, by gate (gate="${NO_GATE}" when empty; "${OTHER_GATE}" beyond ${MAX_GATE_LABELS} distinct gates).`,
      labelNames: ['gate'],
      registers,
    });
    this.daySheetReads = new Counter({
      name: 'barona_day_sheet_reads_total',
      help: 'Day sheets read (GET /table/view/date:…), by answer: kept (sent from memory after the ETag check), built, not_modified (304).',
      labelNames: ['answer'],
      registers,
    });
    const poolGauge = (name: string, help: string, read: (stats: ReturnType<Database['stats']>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(db.stats()));
        },
      });
    poolGauge('barona_db_pool_connections', 'Open database connections in the pool.', (s) => s.total);
    poolGauge('barona_db_pool_idle_connections', 'Open database connections not running a query.', (s) => s.idle);
    poolGauge('barona_db_pool_in_use_connections', 'Database connections running a query.', (s) => Math.max(0, s.total - s.idle));
    poolGauge('barona_db_pool_waiting_requests', 'Queries waiting for a free database connection.', (s) => s.waiting);
  }

  /**
   * Per (method, route, status): the histogram's label child (prom-client would otherwise build and hash
   * the label object for every request) and the request count since start, of which `reported` has been
   * handed to the counter (prom-client validates and hashes labels on every inc()).
   */
  private readonly requestSeries = new Map<
    string,
    { labels: Record<'method' | 'route' | 'status', string>; duration: { observe(seconds: number): void }; count: number; reported: number }
  >();

  observeRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    const knownMethod = KNOWN_METHODS.has(method) ? method : 'OTHER';
    const id = `${knownMethod} ${status} ${route ?? ''}`;
    let series = this.requestSeries.get(id);
    if (!series) {
      const labels = {
        method: knownMethod,
        route: route ?? 'unmatched',
        status: String(status),
      };
      series = { labels, duration: this.requestDuration.labels(labels), count: 0, reported: 0 };
      // Bounded like the labels themselves: methods × route patterns × status codes.
      this.requestSeries.set(id, series);
    }
    series.duration.observe(seconds);
    series.count++;
  }

  /** Call once per check-in stored (after the database has confirmed it). */
  countCheckin(gate: string): void {
    // The label child of each gate is kept: prom-client would validate and hash the labels on every inc().
    let counter = this.gates.get(gate);
    if (!counter) {
      const label = gate === '' ? NO_GATE : this.gates.size >= MAX_GATE_LABELS ? OTHER_GATE : gate;
      counter = this.checkins.labels({ gate: label });
      // Bounded: beyond MAX_GATE_LABELS gates, further gates share "(other)" and are not kept one by one.
      if (label !== OTHER_GATE) this.gates.set(gate, counter);
    }
    counter.inc();
  }

  /** Call once per day sheet read, with how it was answered (DaySheets). */
  countDaySheetRead(answer: DaySheetAnswer): void {
    this.daySheetReads.inc({ answer });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** A separate listener (METRICS_PORT) that answers GET /metrics and nothing else. */
export async function listenForMetrics(metrics: Metrics, host: string, port: number, log: FastifyBaseLogger): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found. Try GET /metrics\n');
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(request.method === 'HEAD' ? undefined : body),
      (error: Error) => {
        log.error({ err: error }, 'rendering metrics failed');
        response.writeHead(500).end();
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
