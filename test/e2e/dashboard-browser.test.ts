/**
 * The dashboard in a real headless chromium against a real run: `crewmux run --dashboard` with the
 * step lead and a hanging worker. The page refuses to load without the token; with it, the worker
 * appears, shows its output and changes state without a reload; the lead's pane, the repository and
 * relative times show; markup in the goal, the task and a progress note renders as inert text. Saves a screenshot under test-artifacts/.
 * And, on a seeded database, the review panel: a verdict's agent text inert, Approve and Reject deciding held merges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, createRepo, createTestEnv, eventually, fixtureAgent, writeConfig } from '../helpers/env.js';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { openStore } from '../../src/adapters/state/store.js';
import { createGit } from '../../src/adapters/git/git.js';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { buildDashboard } from '../../src/dashboard/build-dashboard.js';
import { staticReader } from '../../src/compose/dashboard-static.js';
import { seedSession, seedWorker } from '../helpers/dashboard-seed.js';
import { signalPid } from '../helpers/wait.js';

const XSS_GOAL = 'Ship it <script>window.__xss = "goal"</script><img src=x onerror="window.__xss = \'goal-img\'">';
const XSS_TASK = 'hang <img src=x onerror="window.__xss = \'task\'"><script>window.__xss = "task-script"</script>';
const XSS_NOTE = '<svg onload="window.__xss = \'note\'"></svg> halfway';

test(
  'the page loads only with the token and follows a live run: worker appears, shows output, changes state; markup is inert',
  { skip: browserMissing() },
  async () => {
    const t = createTestEnv();
    const browser = await launchBrowser();
    let dashboardPid: number | undefined;
    try {
      const repo = createRepo(t);
      const go1 = join(t.dir, 'go-kill');
      const go2 = join(t.dir, 'go-end');
      const plan = join(t.dir, 'plan.json');
      writeFileSync(
        plan,
        JSON.stringify([
          { call: 'spawn_worker', args: { task: XSS_TASK, agent: 'hang' }, save: 'a' },
          { call: 'report_progress', args: { message: XSS_NOTE } },
          { waitFile: go1 },
          { call: 'kill_worker', args: { worker_id: '$a' } },
          { waitFile: go2 },
          { call: 'mark_goal_failed', args: { reason: 'the browser test is over' } },
        ]),
      );
      writeConfig(repo, {
        agents: {
          'step-lead': fixtureAgent('step-lead', { env: { STEP_PLAN: plan, STEP_OUT: join(t.dir, 'out.json') } }),
          hang: fixtureAgent('hang-worker'),
        },
      });
      const child = spawn(
        process.execPath,
        [
          BIN,
          'run',
          '--goal',
          XSS_GOAL,
          '--lead',
          'step-lead',
          '--agents',
          'hang',
          '--no-attach',
          '--wait',
          '--dashboard',
          '--trust-repo-config',
          '--timeout',
          '120',
        ],
        { cwd: repo, env: t.env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((r) => child.on('close', r));
      try {
        const url = await eventually(
          'the dashboard URL on stderr',
          () => /crewmux: dashboard (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+#\/s\/\w+)/.exec(stderr)?.[1],
          30_000,
        );
        const sessions = join(t.env.CREWMUX_DATA_DIR!, 'sessions');
        dashboardPid = Number(readFileSync(join(sessions, readdirSync(sessions)[0]!, 'dashboard.pid'), 'utf8'));

        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        // Without the token: refused, and no page or data is served.
        const refused = await page.goto(url.replace(/\?token=[\w-]+/, ''));
        assert.equal(refused?.status(), 401);
        assert.equal(await page.locator('#workers').count(), 0);
        const wrong = await page.goto(url.replace(/token=[\w-]+/, 'token=nope'));
        assert.equal(wrong?.status(), 401);

        const ok = await page.goto(url);
        assert.equal(ok?.status(), 200);
        await page.locator('#s-goal').filter({ hasText: 'Ship it' }).waitFor({ timeout: 15_000 });
        assert.equal(await page.textContent('#s-goal'), XSS_GOAL);
        const worker = page.locator('[data-worker="w01"]');
        await worker.waitFor({ timeout: 30_000 });
        await page
          .locator('[data-worker="w01"][data-state="running"], [data-worker="w01"][data-state="waiting"]')
          .waitFor({ timeout: 30_000 });
        await worker
          .locator('pre.output')
          .filter({ hasText: 'hang worker: working forever' })
          .waitFor({ timeout: 30_000 });
        assert.equal(await worker.locator('.task').textContent(), XSS_TASK);
        await page.locator('#events li').filter({ hasText: XSS_NOTE }).waitFor({ timeout: 15_000 });
        await page.locator('#conn[data-state="live"]').waitFor({ timeout: 5000 });
        // The session's repository, the lead's pane (as text) and relative times.
        assert.equal(await page.textContent('#s-repo'), realpathSync(repo));
        await page
          .locator('#lead-output')
          .filter({ hasText: 'spawn_worker -> Started worker w01' })
          .waitFor({ timeout: 15_000 });
        assert.equal(await page.locator('#lead-output *').count(), 0, "the lead's pane is text, never markup");
        const rel = /^(just now|\d+ s ago|\d+ min ago)$/;
        assert.match((await page.locator('#events li time.rel').first().textContent())!, rel);
        assert.match((await page.textContent('#s-meta time.rel'))!.replace(/^started /, ''), rel);
        assert.match((await worker.locator('.updated time.rel').textContent())!.replace(/^updated /, ''), rel);
        mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
        await page.screenshot({ path: join(ROOT, 'test-artifacts', 'dashboard.png'), fullPage: true });
        if (process.env.CREWMUX_UPDATE_DOCS_SCREENSHOT)
          await page.screenshot({ path: join(ROOT, 'docs', 'dashboard.png') });

        // The lead kills the worker: the page shows the new state without a reload.
        writeFileSync(go1, '');
        await page.locator('[data-worker="w01"][data-state="killed"]').waitFor({ timeout: 30_000 });
        writeFileSync(go2, '');
        await page.locator('#s-status[data-state="failed"]').waitFor({ timeout: 30_000 });
        await page.locator('#report').filter({ hasText: 'the browser test is over' }).waitFor({ timeout: 15_000 });

        // Nothing in the data ran: no element came from it and no script set the canary.
        assert.equal(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss), undefined);
        assert.equal(await page.locator('main img, main script, main svg, nav img').count(), 0);
        assert.deepEqual(errors, []);
        assert.equal(await exited, 1, `${stdout}\n${stderr}`);
      } finally {
        if (child.exitCode === null) child.kill('SIGTERM');
      }
    } finally {
      await browser.close();
      if (dashboardPid)
        try {
          signalPid(dashboardPid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      t.cleanup();
    }
  },
);

test(
  'the review panel: a verdict and its findings render as inert text, and Approve / Reject of a held merge decide it',
  { skip: browserMissing() },
  async () => {
    // No run: a seeded state database served on 127.0.0.1, so this costs a page load, not a session.
    const t = createTestEnv();
    const store = openStore(join(t.dir, 'state.db'));
    const token = 'browser-review-token-0123456789';
    const app = buildDashboard({
      store,
      stats: store.stats(),
      git: createGit(),
      tmuxFor: (s) => createTmux({ socket: s ?? undefined, configFile: '/dev/null' }),
      token,
      pollMs: 50,
      readStatic: staticReader(),
      version: '0.0.0-test',
    });
    const browser = await launchBrowser();
    try {
      seedSession(store, { id: 'srev' });
      for (const n of [1, 2]) seedWorker(store, 'srev', n, { state: 'done' });
      seedWorker(store, 'srev', 3, { perspective: 'reviewer', state: 'done' });
      const r = store.review();
      const id = r.addReview({
        session: 'srev',
        reviewer: 'w03',
        subject: 'w01',
        round: 0,
        criteria: [{ id: 'W1', text: 'tests pass' }],
        ts: 1,
      });
      r.submitVerdict(
        id,
        {
          verdict: 'fail',
          risk: 'low',
          criteria: [{ id: 'W1', met: false, evidence: XSS_NOTE }],
          findings: [{ file: 'src/a.ts', line: 7, severity: 'medium', text: XSS_TASK }],
        },
        2,
      );
      for (const worker of ['w01', 'w02'])
        r.addApproval({
          session: 'srev',
          worker,
          head: 'a'.repeat(40),
          risk: 'low',
          reason: 'its review failed',
          ts: 3,
        });
      r.startRound({ session: 'srev', round: 1, head: 'b'.repeat(40), reviewers: ['w03'], ts: 4 });
      const g = r.addReview({ session: 'srev', reviewer: 'w03', subject: 'gate', round: 1, criteria: [], ts: 4 });
      r.submitVerdict(
        g,
        {
          verdict: 'fail',
          risk: 'high',
          criteria: [],
          findings: [{ file: 'src/b.ts', severity: 'high', text: XSS_NOTE }],
        },
        5,
      );
      r.finishRound('srev', 1, 'rejected', 6);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const port = (app.server.address() as { port: number }).port;
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${port}/?token=${token}#/s/srev`);
      const w1 = page.locator('[data-worker="w01"] .review');
      await w1.locator('.badge[data-verdict="fail"]').waitFor({ timeout: 15_000 });
      assert.equal(await w1.locator('.findings li').textContent(), `medium src/a.ts:7 ${XSS_TASK}`);
      assert.equal(await w1.locator('.criteria .evidence').textContent(), XSS_NOTE);
      const round = page.locator('#gate .gate-round[data-round="1"]');
      await round.waitFor({ timeout: 15_000 });
      assert.match((await page.locator('#gate .gate-head').textContent())!, /^round 1: rejected$/);
      assert.equal(await round.locator('.findings li').textContent(), `high src/b.ts ${XSS_NOTE}`);
      await w1.locator('button[data-action="approve"]').click();
      await page.locator('[data-worker="w01"] .approval[data-approval="approved"]').waitFor({ timeout: 15_000 });
      const w2 = page.locator('[data-worker="w02"] .review');
      await w2.locator('textarea').fill('drops the migration');
      await w2.locator('button[data-action="reject"]').click();
      await page.locator('[data-worker="w02"] .approval[data-approval="rejected"]').waitFor({ timeout: 15_000 });
      assert.deepEqual(
        [r.latestApproval('srev', 'w01')?.status, r.latestApproval('srev', 'w02')?.note],
        ['approved', 'drops the migration'],
      );
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss), undefined);
      assert.equal(await page.locator('main img, main script, main svg').count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await app.close();
      store.close();
      t.cleanup();
    }
  },
);

test('the browser test helper finds chromium where CI installs it', () => {
  // Guards the skip: CI must install chromium (.ci/run), or the test above silently stops running there.
  if (process.env.CI)
    assert.ok(existsSync('/usr/bin/chromium'), 'CI must install chromium for the dashboard browser test');
});
