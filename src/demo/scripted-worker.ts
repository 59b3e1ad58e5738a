/**
 * The scripted worker (no model): writes the files its task spells out as ```file:PATH blocks (or as lines
 * `Create file PATH containing TEXT`, the fake model's one-line tasks: TEXT without a newline),
 * commits them, and reports through worker_done (or, with CREWMUX_SCRIPTED_COMPLETE=flag|line, the
 * done.flag or sentinel line). Then it idles like an agent at its prompt: a typed message (bracketed
 * paste, then Enter) starts a new turn, recorded to received-N.txt beside its prompt file.
 * A ```usage block ({"input":N,"output":N,"model":"..."}) makes it record that model call the way Claude Code does, a
 * transcript line in its CLAUDE_CONFIG_DIR (its state dir's claude-config/), which crewmux's collector reads; a
 * ```hold block leaves the turn open with its files uncommitted until a message comes (budget tests).
 * A task with an
 * ```ask block asks that question (the `ask` tool) and waits instead of finishing: the next message is taken
 * as the answer, read back with get_answer, and the turn then finishes with the answer in its summary.
 * As a reviewer asked for a verdict (its turn's text names submit_verdict), it gives the verdict of that turn from
 * the JSON array in $CREWMUX_SCRIPTED_VERDICTS ({verdict, risk, findings, waitFile?}, or null to give none; a gate
 * round N takes entry N-1), judging every criterion `- [ID] text` of the turn met when the verdict is pass, else
 * not met.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, relative } from 'node:path';
import { connectCrewmux, section } from './mcp-client.js';
import { exec } from '../adapters/process/exec.js';

const env = process.env;
const promptFile = env.CREWMUX_PROMPT_FILE ?? '';
const mode = env.CREWMUX_SCRIPTED_COMPLETE ?? 'mcp';
const say = (s: string) => process.stdout.write(s + '\r\n');

function fileBlocks(task: string): { path: string; content: string }[] {
  const out: { path: string; content: string }[] = [];
  const re = /```file:([^\n`]+)\n([\s\S]*?)```/g;
  for (let m = re.exec(task); m; m = re.exec(task)) out.push({ path: m[1]!.trim(), content: m[2]! });
  for (const m of task.matchAll(/^\s*Create file (\S+) containing (.+)$/gm)) out.push({ path: m[1]!, content: m[2]! });
  return out;
}

/** Appends the call a ```usage block describes to a Claude-style transcript (core/usage/claude-transcript.ts). */
function recordUsage(task: string, n: number): void {
  const block = /```usage\n([\s\S]*?)```/.exec(task)?.[1];
  if (!block) return;
  const u = JSON.parse(block) as { input?: number; output?: number; model?: string };
  const dir = join(dirname(promptFile), 'claude-config', 'projects', 'scripted');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const line = {
    type: 'assistant',
    requestId: `req_scripted_${process.pid}_${n}`,
    timestamp: new Date().toISOString(),
    message: {
      id: `msg_scripted_${process.pid}_${n}`,
      model: u.model ?? 'claude-sonnet-4-5',
      usage: { input_tokens: u.input ?? 0, output_tokens: u.output ?? 0 },
    },
  };
  appendFileSync(join(dir, 'transcript.jsonl'), JSON.stringify(line) + '\n', { mode: 0o600 });
}

async function applyTask(task: string, commit = true): Promise<string[]> {
  const written: string[] = [];
  for (const b of fileBlocks(task)) {
    const target = resolve(process.cwd(), b.path);
    if (relative(process.cwd(), target).startsWith('..')) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, b.content);
    written.push(b.path);
  }
  if (written.length && commit && env.CREWMUX_SCRIPTED_NO_COMMIT !== '1') {
    await exec('git', ['add', '--', ...written]);
    await exec('git', [
      '-c',
      'user.name=scripted-worker',
      '-c',
      'user.email=scripted@crewmux.invalid',
      'commit',
      '-q',
      '-m',
      `scripted worker: ${written.join(', ')}`,
    ]);
  }
  return written;
}

// Turns may overlap; their writes and commits must not (git's index lock), so they apply in order.
let applying: Promise<unknown> = Promise.resolve();
function applyInOrder(task: string, commit = true): Promise<string[]> {
  const p = applying.then(() => applyTask(task, commit));
  applying = p.catch(() => undefined);
  return p;
}

interface ScriptedVerdict {
  verdict: 'pass' | 'fail';
  risk: string;
  findings?: unknown[];
  /** A file to wait for before submitting (a test holds the verdict while it restarts crewmux). */
  waitFile?: string;
}

/**
 * The verdict of $CREWMUX_SCRIPTED_VERDICTS for this request when `text` asks for one: entry N-1 for the highest
 * "Review gate round N" the text names (a relaunched reviewer's prompt holds every round it was sent), else entry
 * `n` (the turn); null: give none this turn.
 */
function verdictFor(text: string, n: number): ScriptedVerdict | null | undefined {
  if (!env.CREWMUX_SCRIPTED_VERDICTS || !text.includes('submit_verdict')) return undefined;
  const all = JSON.parse(readFileSync(env.CREWMUX_SCRIPTED_VERDICTS, 'utf8')) as (ScriptedVerdict | null)[];
  const rounds = [...text.matchAll(/Review gate round (\d+) of/g)].map((m) => Number(m[1]) - 1);
  const i = rounds.length ? Math.max(...rounds) : n;
  return all[Math.min(i, all.length - 1)] ?? null;
}

async function submitVerdict(text: string, v: ScriptedVerdict): Promise<void> {
  if (v.waitFile) {
    say(`scripted reviewer waits for ${v.waitFile}`);
    while (!existsSync(v.waitFile)) await new Promise((r) => setTimeout(r, 50));
  }
  const ids = [...text.matchAll(/^- \[([^\]\n]+)\] /gm)].map((m) => m[1]!);
  const client = await connectCrewmux(env.CREWMUX_MCP_URL!, env.CREWMUX_MCP_TOKEN!, 'scripted-worker');
  const r = await client.call('submit_verdict', {
    verdict: v.verdict,
    risk: v.risk,
    criteria: [...new Set(ids)].map((id) => ({ id, met: v.verdict === 'pass', evidence: 'scripted' })),
    findings: v.findings ?? [],
  });
  say(`submit_verdict -> ${r.text}`);
  await client.close();
}

async function complete(nonce: string, summary: string, noChanges?: string): Promise<void> {
  if (mode === 'flag') {
    const flag = env.CREWMUX_DONE_FILE!;
    writeFileSync(`${flag}.tmp`, JSON.stringify({ nonce, status: 'done', summary }));
    renameSync(`${flag}.tmp`, flag);
  } else if (mode === 'line') {
    say(`WORKER_DONE: ${nonce} ${summary}`);
  } else {
    const client = await connectCrewmux(env.CREWMUX_MCP_URL!, env.CREWMUX_MCP_TOKEN!, 'scripted-worker');
    const r = await client.call('worker_done', {
      status: 'done',
      summary,
      ...(noChanges ? { no_changes: noChanges } : {}),
    });
    say(`worker_done -> ${r.text}`);
    await client.close();
  }
}

function nonceOf(text: string): string {
  const m = /(?:<nonce> is|with nonce) ([0-9a-f]{12})/.exec(text);
  return m ? m[1]! : '';
}

/** The ticket this worker asked and waits on (a ```ask block in its task). */
let asked: string | undefined;

async function ask(question: string): Promise<string> {
  const client = await connectCrewmux(env.CREWMUX_MCP_URL!, env.CREWMUX_MCP_TOKEN!, 'scripted-worker');
  const r = await client.call('ask', { question });
  await client.close();
  say(`ask -> ${r.text}`);
  const ticket = /Ticket (q\d+)/.exec(r.text)?.[1];
  if (!ticket) throw new Error(`ask gave no ticket: ${r.text}`);
  return ticket;
}

async function getAnswer(ticket: string): Promise<string> {
  const client = await connectCrewmux(env.CREWMUX_MCP_URL!, env.CREWMUX_MCP_TOKEN!, 'scripted-worker');
  const r = await client.call('get_answer', { ticket });
  await client.close();
  return r.text;
}

async function turn(text: string, n: number): Promise<void> {
  say('scripted worker busy');
  const task = n === 0 ? section(text, 'Task') : text;
  const question = /```ask\n([\s\S]*?)```/.exec(task)?.[1]?.trim();
  if (question && !asked) {
    asked = await ask(question);
    say(`scripted worker waits for the answer to ${asked}`);
    say('scripted worker idle');
    return;
  }
  const hold = /```hold\b/.test(task);
  const written = await applyInOrder(task, !hold);
  recordUsage(task, n);
  if (hold) {
    // Ready for input mid-turn, like Claude Code (a typed message is queued): the next message ends the turn.
    say(`scripted worker holding (${written.join(', ') || 'nothing'} written, not committed); scripted worker idle`);
    return;
  }
  // A ```summary block in the task is the report to give (tests use it for long reports).
  const given = /```summary\n([\s\S]*?)```/.exec(task)?.[1]?.trim();
  let summary = given ?? (written.length ? `wrote ${written.join(', ')}` : `turn ${n}: nothing to write`);
  if (asked) {
    summary = `${asked}: ${await getAnswer(asked)}`;
    asked = undefined;
  }
  const verdict = verdictFor(text, n);
  if (verdict) await submitVerdict(text, verdict);
  await complete(nonceOf(text), summary, written.length ? undefined : 'the task had no file blocks to write');
  say('scripted worker idle');
}

async function main(): Promise<void> {
  say('scripted worker (no model) starting');
  await turn(readFileSync(promptFile, 'utf8'), 0);
  if (!process.stdin.isTTY) return;
  process.stdin.setRawMode(true);
  process.stdout.write('\x1b[?2004h');
  let buf = '';
  let turns = 0;
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    // A message is a bracketed paste followed by Enter (CR) outside the paste.
    for (;;) {
      const start = buf.indexOf('\x1b[200~');
      const end = buf.indexOf('\x1b[201~');
      if (start < 0 || end < 0) break;
      const after = buf.indexOf('\r', end);
      if (after < 0) break;
      const text = buf.slice(start + 6, end).replace(/\r\n?/g, '\n');
      buf = buf.slice(after + 1);
      turns++;
      writeFileSync(join(dirname(promptFile), `received-${turns}.txt`), text, { mode: 0o600 });
      void turn(text, turns).catch((e) => say(`scripted worker error: ${(e as Error).message}`));
    }
    if (buf.includes('\x03')) process.exit(130);
  });
}

main().catch((e) => {
  say(`scripted worker failed: ${(e as Error).message}`);
  process.exitCode = 1;
});
