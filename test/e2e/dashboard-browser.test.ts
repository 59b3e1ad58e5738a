/**
 * The dashboard in a real headless chromium against a real run: `crewmux run --dashboard` with the
 * step lead and a hanging worker. The page refuses to load without the token; with it, the worker
 * appears, shows its output and changes state without a reload; the lead's pane, the repository and
 * relative times show; markup in the goal, the task and a progress note renders as inert text. Saves a screenshot under test-artifacts/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, createRepo, createTestEnv, eventually, fixtureAgent, writeConfig } from '../helpers/env.js';
import { browserMissing, launchBrowser } from '../helpers/browser.js';

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
          process.kill(dashboardPid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      t.cleanup();
    }
  },
);

test('the browser test helper finds chromium where CI installs it', () => {
  // Guards the skip: CI must install chromium (.ci/run), or the test above silently stops running there.
  if (process.env.CI)
    assert.ok(existsSync('/usr/bin/chromium'), 'CI must install chromium for the dashboard browser test');
});
