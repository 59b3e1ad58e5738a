/**
 * Admission by memory through the built bin/crewmux.js (scripted lead, three scripted workers, real tmux, git, MCP),
 * with the machine's figures read from a file the test writes (CREWMUX_TEST_MEMINFO, test-only): under memory
 * pressure every worker is queued and none starts; when the pressure falls they start in order and the goal is done.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { createRepo, createTestEnv, diagnostics, eventually, runCli } from '../helpers/env.js';

const VERIFY = ['node --version'];
const worker = (n: number) => ({
  perspective: 'implementer',
  agent: 'scripted-worker',
  task: `Add part ${n}.\n\`\`\`file:src/part${n}.mjs\nexport const part${n} = ${n};\n\`\`\`\n`,
});
const plan = { workers: [worker(1), worker(2), worker(3)], verify: VERIFY };

/** /proc/meminfo-format text (8 GB, 4 GB available) with a PSI `some` line at `psi` %. */
const meminfo = (psi: number) =>
  `MemTotal:        8388608 kB\nMemFree:         1048576 kB\nMemAvailable:    4194304 kB\nsome avg10=${psi.toFixed(2)} avg60=0.00 avg300=0.00 total=1\n`;

interface StatusView {
  session: { id: string; status: string };
  workers: { id: string; state: string; summary: string | null; pane: string | null; peakRssBytes: number | null }[];
}

test('under memory pressure every worker is queued and none starts; when it falls they start in order and the goal is done', async () => {
  const t = createTestEnv();
  try {
    const file = join(t.dir, 'meminfo');
    writeFileSync(file, meminfo(60));
    const repo = createRepo(t, {
      'README.md': '# test repo\n',
      '.crewmux/config.json': JSON.stringify({ verify: VERIFY, admission: { reserve: '1G', pressureMax: 10 } }),
    });
    const env = { CREWMUX_TEST_MEMINFO: file };
    const goal = `Add three parts.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`;
    const run = runCli(
      t,
      repo,
      [
        'run',
        ...['--goal', goal, '--lead', 'scripted-lead', '--agents', 'scripted-worker'],
        ...['--no-attach', '--wait', '--trust-repo-config', '--timeout', '120'],
      ],
      { env },
    );
    const status = async () => {
      const r = await runCli(t, repo, ['status', '--json'], { env });
      return r.code === 0 ? (JSON.parse(r.stdout) as StatusView) : undefined;
    };
    const queued = await eventually(
      'three queued workers',
      async () => {
        const v = await status();
        return v?.workers.length === 3 && v.workers.every((w) => w.state === 'queued') ? v : undefined;
      },
      60_000,
    );
    assert.deepEqual(
      queued.workers.map((w) => w.pane),
      [null, null, null],
    );
    assert.match(
      queued.workers[0]!.summary ?? '',
      /memory pressure \(PSI some avg10\) is 60%, at or above the limit 10%/,
    );
    assert.match(queued.workers[2]!.summary ?? '', /2 workers are already queued for memory/);

    writeFileSync(file, meminfo(0));
    const r = await run;
    assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const admitted = [...r.stdout.matchAll(/worker\.admitted\s+(w\d+)/g)].map((m) => m[1]);
    assert.deepEqual(admitted, ['w01', 'w02', 'w03']);
    const done = (await status())!;
    assert.equal(done.session.status, 'done');
    assert.deepEqual(
      done.workers.map((w) => [w.id, w.state]),
      [
        ['w01', 'merged'],
        ['w02', 'merged'],
        ['w03', 'merged'],
      ],
    );
  } finally {
    t.cleanup();
  }
});

test('doctor says how workers are confined in memory on this machine', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const r = await runCli(t, repo, ['doctor', '--json']);
    const check = (JSON.parse(r.stdout) as { name: string; level: string; detail: string }[]).find(
      (c) => c.name === 'worker memory',
    );
    assert.ok(check, r.stdout);
    // This sandbox has no user systemd; a machine with one gets the scope line.
    if (check.level === 'warn' && process.platform === 'linux')
      assert.equal(
        check.detail,
        "no user systemd: workers run without a memory limit; the kernel's OOM killer prefers workers (oom_score_adj 500)",
      );
    else assert.match(check.detail, /user systemd|no user systemd/);
  } finally {
    t.cleanup();
  }
});
