import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Database } from './db/database.js';
import { Metrics } from './metrics.js';

const noDatabase = { stats: () => ({ total: 0, idle: 0, waiting: 0 }) } as unknown as Database;

async function checkinsByGate(metrics: Metrics): Promise<Map<string, number>> {
  const metric = await metrics.registry.getSingleMetric('barona_checkins_created_total')!.get();
  return new Map(metric.values.map((value) => [String(value.labels.gate), value.value]));
}

test('check-ins are counted by gate: an empty gate as (none), gates beyond the first 100 as (other)', async () => {
  const metrics = new Metrics(noDatabase);
  metrics.countCheckin('');
  metrics.countCheckin('North');
  metrics.countCheckin('North');
  for (let i = 0; i < 98; i++) metrics.countCheckin(`G${i}`);
  // 100 gates are known now ("(none)", North, G0…G97): the next ones share one series.
  metrics.countCheckin('Late 1');
  metrics.countCheckin('Late 2');
  metrics.countCheckin('Late 1');
  metrics.countCheckin('North');
  const counts = await checkinsByGate(metrics);
  assert.equal(counts.get('(none)'), 1);
  assert.equal(counts.get('North'), 3);
  assert.equal(counts.get('G97'), 1);
  assert.equal(counts.get('(other)'), 3);
  assert.equal(counts.has('Late 1'), false);
  assert.equal(counts.size, 101);
});
