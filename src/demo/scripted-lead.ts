/**
 * The scripted lead (no model): follows a plan instead of thinking. The plan is a ```json block in
 * the goal ({"workers":[{"task","perspective?","agent?","runtime?","node?"}], "verify": [...]?}); without one it runs
 * the demo plan (a module and its test). It spawns every worker, waits for all of them, merges and
 * verifies when those tools exist, and marks the goal done (or failed when a worker did not finish). Relaunched on
 * resume (a recap in its prompt), it spawns nothing and waits for the session's active workers instead.
 */
import { readFileSync } from 'node:fs';
import { connectCrewmux, section, type CrewmuxClient } from './mcp-client.js';

interface Plan {
  workers: { task: string; perspective?: string; agent?: string; runtime?: string; node?: string }[];
  verify?: string[];
}

const say = (s: string) => process.stdout.write(s + '\n');

export const DEMO_PLAN: Plan = {
  workers: [
    {
      perspective: 'implementer',
      task: 'Write the greeting module.\n```file:src/greet.js\nexport function greet(name) {\n  return `Hello, ${name}!`;\n}\n```\n',
    },
    {
      perspective: 'tester',
      task: "Write a test for the greeting module.\n```file:test/greet.test.js\nimport { greet } from '../src/greet.js';\nimport assert from 'node:assert/strict';\nassert.equal(greet('crewmux'), 'Hello, crewmux!');\nconsole.log('greet test passed');\n```\n",
    },
  ],
  verify: ['node test/greet.test.js'],
};

function planFrom(goal: string): Plan {
  const m = /```json\n([\s\S]*?)\n```/.exec(goal);
  return m ? (JSON.parse(m[1]!) as Plan) : DEMO_PLAN;
}

const idOf = (text: string) => /worker (w\d+)/.exec(text)?.[1];

async function waitAll(c: CrewmuxClient, ids: string[]): Promise<void> {
  for (;;) {
    const r = await c.call('wait_for_worker', { worker_ids: ids, mode: 'all' });
    say(`wait_for_worker -> ${r.text}`);
    if (!/Still running/.test(r.text)) return;
  }
}

async function main(): Promise<void> {
  say('scripted lead (no model) ready');
  const prompt = readFileSync(process.env.CREWMUX_PROMPT_FILE!, 'utf8');
  const plan = planFrom(section(prompt, 'Goal'));
  const c = await connectCrewmux(process.env.CREWMUX_MCP_URL!, process.env.CREWMUX_MCP_TOKEN!, 'scripted-lead');
  const tools = await c.tools();
  const ids: string[] = [];
  // Relaunched on resume (its prompt ends with a recap): the plan's workers exist already; it waits for the active.
  const resumed = /^## This session was resumed$/m.test(prompt);
  if (resumed) {
    const before = ((await c.call('list_workers')).structured?.workers ?? []) as { id: string; state: string }[];
    ids.push(...before.filter((w) => ['starting', 'running', 'waiting', 'queued'].includes(w.state)).map((w) => w.id));
    say(`resumed: waiting for ${ids.join(', ') || 'no worker'}`);
  }
  for (const w of resumed ? [] : plan.workers) {
    const r = await c.call('spawn_worker', {
      task: w.task,
      ...(w.perspective ? { perspective: w.perspective } : {}),
      ...(w.agent ? { agent: w.agent } : {}),
      ...(w.runtime ? { runtime: w.runtime } : {}),
      ...(w.node ? { node: w.node } : {}),
    });
    say(`spawn_worker -> ${r.text}`);
    const id = idOf(r.text);
    if (id && !r.isError) ids.push(id);
  }
  if (ids.length) await waitAll(c, ids);
  const list = await c.call('list_workers');
  const workers = (list.structured?.workers ?? []) as { id: string; state: string; node?: string | null }[];
  say(`list_workers -> ${workers.map((w) => `${w.id} ${w.state} ${w.node ? `on ${w.node}` : 'here'}`).join(', ')}`);
  const done = workers.filter((w) => w.state === 'done').map((w) => w.id);
  if (tools.includes('merge_worker')) {
    for (const id of done) say(`merge_worker ${id} -> ${(await c.call('merge_worker', { worker_id: id })).text}`);
  }
  if (tools.includes('verify') && plan.verify)
    say(`verify -> ${(await c.call('verify', { commands: plan.verify })).text}`);
  const failed = workers.filter((w) => w.state !== 'done');
  const end = failed.length
    ? await c.call('mark_goal_failed', {
        reason: `workers did not finish: ${failed.map((w) => `${w.id} ${w.state}`).join(', ')}`,
      })
    : await c.call('mark_goal_done', { summary: `scripted lead: ${done.length} worker(s) done` });
  say(`end -> ${end.isError ? 'refused: ' : ''}${end.text}`);
  if (end.isError) say(`mark_goal_failed -> ${(await c.call('mark_goal_failed', { reason: end.text })).text}`);
  await c.close();
  // Idle like an agent at its prompt until the supervisor closes the session.
  setInterval(() => undefined, 1 << 30);
}

main().catch((e) => {
  say(`scripted lead failed: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
