/** Prometheus rendering (escaping, families) and the buffering ToolCallStats (buckets, flush, retry). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPrometheus } from '../../src/core/observe/prometheus.js';
import { createToolStats } from '../../src/app/observe/tool-stats.js';
import { TOOL_LATENCY_BUCKETS_MS, type ToolStatDelta } from '../../src/core/observe/tool-stats.js';
import type { StatsStore } from '../../src/app/ports/stats.js';

test('renderPrometheus writes HELP/TYPE lines and escapes label values', () => {
  const text = renderPrometheus([
    {
      name: 'x_total',
      help: 'A counter\nwith a newline',
      type: 'counter',
      samples: [{ labels: { tool: 'a"b\\c\nd' }, value: 3 }],
    },
    {
      name: 'h',
      help: 'H',
      type: 'histogram',
      samples: [
        { suffix: '_bucket', labels: { le: '+Inf' }, value: 1 },
        { suffix: '_count', value: 1 },
      ],
    },
  ]);
  assert.equal(
    text,
    [
      '# HELP x_total A counter\\nwith a newline',
      '# TYPE x_total counter',
      'x_total{tool="a\\"b\\\\c\\nd"} 3',
      '# HELP h H',
      '# TYPE h histogram',
      'h_bucket{le="+Inf"} 1',
      'h_count 1',
      '',
    ].join('\n'),
  );
});

/** A fake StatsStore holding what was flushed; `fail` makes the next addToolStats throw. */
function fakeStats() {
  const flushed: Map<string, ToolStatDelta>[] = [];
  let fail = false;
  const store = {
    addToolStats(_sid: string, d: Map<string, ToolStatDelta>) {
      if (fail) {
        fail = false;
        throw new Error('database is locked');
      }
      flushed.push(d);
    },
  } as unknown as StatsStore;
  return {
    store,
    flushed,
    failNext: () => {
      fail = true;
    },
  };
}

test('tool stats are buffered per tool with latency buckets, flushed in one batch, and kept when a flush fails', () => {
  const f = fakeStats();
  const errors: string[] = [];
  const stats = createToolStats(f.store, 's1', { flushMs: 60_000, onError: (e) => errors.push(e.message) });
  stats.record('verify', 4, false);
  stats.record('verify', 6, true);
  stats.record('verify', 10 * 60_000, false);
  stats.record('list_workers', 1, false);
  f.failNext();
  stats.flush();
  assert.deepEqual(errors, ['database is locked']);
  assert.equal(f.flushed.length, 0);
  stats.close();
  assert.equal(f.flushed.length, 1);
  const v = f.flushed[0]!.get('verify')!;
  assert.equal(v.calls, 3);
  assert.equal(v.errors, 1);
  assert.equal(v.totalMs, 4 + 6 + 600_000);
  assert.equal(v.buckets.length, TOOL_LATENCY_BUCKETS_MS.length + 1);
  assert.equal(v.buckets[0], 1, '4 ms falls in the 5 ms bucket');
  assert.equal(v.buckets[1], 1, '6 ms falls in the 10 ms bucket');
  assert.equal(v.buckets[TOOL_LATENCY_BUCKETS_MS.length], 1, '10 minutes falls in +Inf');
  assert.equal(f.flushed[0]!.get('list_workers')!.calls, 1);
  stats.flush();
  assert.equal(f.flushed.length, 1, 'nothing new, nothing written');
});
