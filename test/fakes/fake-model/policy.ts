/**
 * The fake model's script, decided from one request alone (stateless): it plays a crewmux lead when the
 * prompt says "You are the lead of a crewmux session", a worker when it says "You are crewmux worker",
 * and answers anything else (titles, routers, classifiers, suggestions) with schema-filled JSON or "OK".
 * A lead whose request offers no crewmux tool (the CLI's MCP client has not connected yet) waits for them
 * where the CLI offers a way (`blindLead: 'wait'`, the default) or ends its turn (`'end-turn'`, what a model
 * that sees a goal naming spawn_worker and no such tool does).
 */
import { fillSchema, type Conversation, type Decision, type ToolCall, type ToolDef } from './conversation.js';

export const LEAD_MARK = 'You are the lead of a crewmux session';
export const WORKER_MARK = 'You are crewmux worker';
const SERVER = 'crewmux';
const MAX_CALLS = 40;

/**
 * crewmux's tool names, which crewmux's own API lead offers to the model as they are (the CLIs prefix them).
 * Only the names the fake's lead and worker use: a CLI's own tool never collides with them.
 */
const BARE_TOOLS = new Set([
  'spawn_worker',
  'wait_for_worker',
  'merge_worker',
  'verify',
  'mark_goal_done',
  'mark_goal_failed',
  'list_workers',
  'worker_done',
  'submit_verdict',
]);

/** The crewmux tool name behind a CLI-specific name, or undefined for other tools. */
export function logicalName(name: string, namespace?: string): string | undefined {
  if (namespace === `mcp__${SERVER}` || namespace === `mcp__${SERVER}__`) return name;
  // Claude/Qwen `mcp__crewmux__x`, Gemini `mcp_crewmux_x`, OpenCode/Kilo `crewmux_x`, Copilot `crewmux-x`.
  for (const p of [`mcp__${SERVER}__`, `mcp_${SERVER}_`, `${SERVER}_`, `${SERVER}-`])
    if (name.startsWith(p)) return name.slice(p.length);
  return !namespace && BARE_TOOLS.has(name) ? name : undefined;
}

/** What a call did, in crewmux terms: `spawn_worker`, `search:spawn_worker`, or the raw tool name. */
function callKey(c: ToolCall): string {
  const direct = logicalName(c.name, c.namespace);
  if (direct) return direct;
  if (c.name === 'tool_call' && typeof c.args.name === 'string') return logicalName(c.args.name) ?? c.args.name;
  if (/^(ToolSearch|tool_search)$/.test(c.name) && typeof c.args.query === 'string') {
    const q = c.args.query.replace(/^select:/, '');
    return `search:${logicalName(q) ?? q}`;
  }
  return c.name;
}

export interface PolicyOptions {
  /** What the lead does when spawn_worker is neither offered nor named as deferred (default 'wait'). */
  blindLead?: 'wait' | 'end-turn';
}

/** The final text of a lead that found no crewmux tool and ended its turn (`blindLead: 'end-turn'`). */
export const BLIND_LEAD_TEXT = 'DONE: no crewmux tools (spawn_worker is missing), ending the turn';

/** The mark of the API lead's compaction summary request (SUMMARY_SYSTEM in src/core/api-lead/compaction.ts). */
export const SUMMARY_MARK = "You summarize the earlier turns of a lead agent's conversation";

/**
 * The fake's summary of a compacted conversation: every `RESULT of TOOL: first line` of the transcript, in
 * order, so the fake lead (which decides from the calls it sees) can read its earlier calls back from it.
 */
function summaryEcho(text: string): string {
  const lines = text.split('\n').filter((l) => /^RESULT of \w+/.test(l));
  return lines.length ? lines.map((l) => l.slice(0, 300)).join('\n') : 'No tool results yet.';
}

/** The calls a compaction summary written by summaryEcho records (their results only). */
function summarizedCalls(text: string): ToolCall[] {
  return [...text.matchAll(/^RESULT of (\w+)( \(error\))?: (.*)$/gm)].map((m, i) => ({
    id: `summary-${i}`,
    name: m[1]!,
    args: {},
    result: m[2] && !/^Error:/.test(m[3]!) ? `Error: ${m[3]}` : m[3],
  }));
}

/** Decides the next answer for `conv`. */
export function decide(conv: Conversation, o: PolicyOptions = {}): Decision {
  if (conv.text.includes(SUMMARY_MARK)) return { kind: 'text', text: summaryEcho(conv.text) };
  if (conv.jsonSchema) return { kind: 'text', text: JSON.stringify(fillSchema(conv.jsonSchema)) };
  if (conv.tools.length === 0 || /\[SUGGESTION MODE/.test(conv.lastUserText)) return { kind: 'text', text: 'OK' };
  if (conv.calls.length >= MAX_CALLS) return { kind: 'text', text: 'DONE: giving up after too many tool calls' };
  if (conv.text.includes(LEAD_MARK)) {
    if (o.blindLead === 'end-turn' && !offers(conv, 'spawn_worker')) return { kind: 'text', text: BLIND_LEAD_TEXT };
    // After a compaction the earlier calls are in the summary, not in the messages.
    return lead({ ...conv, calls: [...summarizedCalls(conv.text), ...conv.calls] });
  }
  if (conv.text.includes(WORKER_MARK)) return worker(conv);
  return { kind: 'text', text: 'OK' };
}

function find(conv: Conversation, pred: (t: ToolDef) => boolean): ToolDef | undefined {
  return conv.tools.find(pred);
}

/** Calls crewmux tool `tool` directly, or through ToolSearch / tool_call when it is only deferred. */
function callCrewmux(conv: Conversation, tool: string, args: Record<string, unknown>): Decision | undefined {
  const direct = find(conv, (t) => logicalName(t.name, t.namespace) === tool);
  if (direct) return { kind: 'tool', tool: direct, args: fitArgs(direct, args) };
  const deferredName = `mcp__${SERVER}__${tool}`;
  if (!conv.text.includes(deferredName)) {
    // Claude Code may start the first turn while MCP servers still connect; it offers a tool to wait.
    const waitTool = find(conv, (t) => t.name === 'WaitForMcpServers');
    const waited = conv.calls.filter((c) => c.name === 'WaitForMcpServers').length;
    if (waitTool && waited < 3) return { kind: 'tool', tool: waitTool, args: fitArgs(waitTool, {}) };
    // Claude Code 2.1.328+ offers no WaitForMcpServers: its system prompt lists the servers "still connecting" and
    // says ToolSearch waits for them (AGENT-CLIS.md section 13), so the model searches for the tool by name.
    const search = find(conv, (t) => t.name === 'ToolSearch');
    const searched = conv.calls.filter((c) => callKey(c) === `search:${tool}`).length;
    if (search && stillConnecting(conv.text) && searched < 3)
      return { kind: 'tool', tool: search, args: fitArgs(search, { query: `select:${deferredName}`, max_results: 5 }) };
    return undefined;
  }
  const keys = conv.calls.map(callKey);
  const search = find(conv, (t) => t.name === 'ToolSearch' || t.name === 'tool_search');
  if (search && !keys.includes(`search:${tool}`))
    return { kind: 'tool', tool: search, args: { query: `select:${deferredName}` } };
  const proxy = find(conv, (t) => t.name === 'tool_call');
  if (proxy) return { kind: 'tool', tool: proxy, args: { name: deferredName, arguments: args } };
  return undefined;
}

/** True when Claude Code's system prompt says crewmux's MCP server is still connecting (2.1.328+). */
function stillConnecting(text: string): boolean {
  const i = text.indexOf('MCP servers are still connecting');
  // "The following MCP servers are still connecting — …:\ncrewmux\n\n": one server per line, up to a blank line.
  return i >= 0 && new RegExp(`^${SERVER}$`, 'm').test(text.slice(i).split('\n\n')[0]!);
}

/** True when crewmux tool `tool` is offered directly or named as deferred. */
function offers(conv: Conversation, tool: string): boolean {
  return (
    conv.tools.some((t) => logicalName(t.name, t.namespace) === tool) || conv.text.includes(`mcp__${SERVER}__${tool}`)
  );
}

/** Keeps the schema's required keys filled and our keys where the schema has them. */
function fitArgs(tool: ToolDef, args: Record<string, unknown>): Record<string, unknown> {
  const props = tool.schema?.properties;
  if (!props) return args;
  const out: Record<string, unknown> = {};
  for (const k of tool.schema?.required ?? []) if (k !== 'wait_for_previous') out[k] = fillSchema(props[k]);
  for (const [k, v] of Object.entries(args)) if (k in props) out[k] = v;
  return out;
}

function goalOf(text: string): string {
  const m = /## Goal\s*\n([\s\S]*?)(?:\n\s*\n|\n## |\s*$)/.exec(text);
  return (m?.[1] ?? 'Create file crewmux-fake.txt containing hello from the fake model').trim();
}

/** One worker the fake lead spawns: the task text and, optionally, the agent to run it. */
export interface LeadTask {
  task: string;
  agent?: string;
}

/**
 * The goal's tasks: each line `[- ][AGENT: ]Create file NAME containing TEXT` is one worker (AGENT, when
 * given, is passed to spawn_worker); otherwise the whole goal is one task for the default agent.
 */
export function leadTasks(goal: string): LeadTask[] {
  const out: LeadTask[] = [];
  for (const line of goal.split('\n')) {
    const m = /^\s*(?:-\s*)?(?:([a-z][\w.-]*):\s+)?(Create file \S+ containing .+)$/.exec(line);
    if (m) out.push({ task: m[2]!.trim(), ...(m[1] ? { agent: m[1] } : {}) });
  }
  return out.length > 1 || out[0]?.agent ? out : [{ task: goal }];
}

function workerIdOf(result: string | undefined): string {
  const m = /"?worker_?id"?\s*[:=]\s*"?([\w.-]+)/i.exec(result ?? '') ?? /\b(w[\w-]*\d+)\b/.exec(result ?? '');
  return m?.[1] ?? 'w1';
}

const isError = (r: string | undefined) => /^\s*(Error:|MCP tool '.*' reported tool error)/.test(r ?? '');
// Claude Code hands the model a tool's structured content when it has one: `"pending":[{...}]` is "still running".
const stillRunning = (r: string | undefined) => /still running|call again|"pending":\s*\[\s*\{/i.test(r ?? '');

/**
 * The lead's walk: spawn one worker per task (retrying a refused spawn once), wait for them (one
 * worker: worker_id; several: worker_ids with mode all) until none is "still running", merge each,
 * verify, mark_goal_done; after a refusal, list_workers and mark_goal_done again.
 */
function lead(conv: Conversation): Decision {
  const done = conv.calls.map((c) => ({ key: callKey(c), result: c.result }));
  const of = (k: string) => done.filter((d) => d.key === k);
  const last = (k: string) => of(k).at(-1);
  const say = (text: string): Decision => ({ kind: 'text', text });
  const call = (tool: string, args: Record<string, unknown>) =>
    callCrewmux(conv, tool, args) ?? say(`DONE: cannot reach tool ${tool}`);

  const goal = goalOf(conv.text);
  const tasks = leadTasks(goal);
  const spawns = of('spawn_worker');
  const started = spawns.filter((s) => !isError(s.result));
  const refused = spawns.length - started.length;
  if (refused >= 2)
    return offers(conv, 'mark_goal_failed')
      ? call('mark_goal_failed', { reason: 'spawn_worker failed twice' })
      : say('DONE: spawn failed');
  if (started.length < tasks.length) {
    const t = tasks[started.length]!;
    return call('spawn_worker', { task: t.task, ...(t.agent ? { agent: t.agent } : {}) });
  }
  const ids = started.map((s) => workerIdOf(s.result));
  const wait = last('wait_for_worker');
  if (
    offers(conv, 'wait_for_worker') &&
    (!wait || (stillRunning(wait.result) && of('wait_for_worker').length < 20 * ids.length))
  ) {
    return call(
      'wait_for_worker',
      ids.length === 1 ? { worker_id: ids[0], timeout_s: 30 } : { worker_ids: ids, mode: 'all', timeout_s: 30 },
    );
  }
  const merges = of('merge_worker').length;
  if (offers(conv, 'merge_worker') && merges < ids.length) return call('merge_worker', { worker_id: ids[merges] });
  // verify answers "still running, call verify again" when the commands outlast crewmux's tool wait (a loaded machine).
  const verifies = of('verify');
  if (
    offers(conv, 'verify') &&
    (verifies.length === 0 || (stillRunning(verifies.at(-1)!.result) && verifies.length < 20))
  )
    return call('verify', {});
  const marks = of('mark_goal_done');
  const summary = `Worker${ids.length > 1 ? 's' : ''} ${ids.join(', ')} finished: ${goal.split('\n')[0]}`;
  if (marks.length === 0) return call('mark_goal_done', { summary });
  const lastMark = marks.at(-1)!;
  if (lastMark.key === done.at(-1)?.key && !isError(lastMark.result))
    return say(`DONE: ${lastMark.result ?? ''}`.trim());
  if (isError(lastMark.result) && marks.length < 3) {
    if (done.at(-1)?.key !== 'list_workers' && offers(conv, 'list_workers')) return call('list_workers', {});
    return call('mark_goal_done', { summary });
  }
  return say(`DONE: ${lastMark.result ?? ''}`.trim());
}

/** The task's file: `Create file NAME containing TEXT` (TEXT to the end of its line). */
export function fileTask(text: string): { file: string; content: string } {
  const m = /Create file (\S+) containing ([^\n]+)/.exec(text);
  return m ? { file: m[1]!, content: m[2]!.trim() } : { file: 'crewmux-worker.txt', content: 'done by the fake model' };
}

/** The agent's working directory as its system prompt states it. */
export function cwdOf(text: string): string | undefined {
  const pats = [
    /<cwd>([^<]+)<\/cwd>/,
    /[Ww]orking directory:\s*(\/\S+)/,
    /working in the directory:?\s*(\/\S+)/,
    /current working directory[^/\n]*?(\/\S+)/i,
  ];
  for (const p of pats) {
    const m = p.exec(text);
    if (m) return m[1]!.replace(/[`'".,)]+$/, '');
  }
  return undefined;
}

// Copilot CLI's is `create` (path, file_text).
const WRITE_TOOLS = ['Write', 'write_file', 'write', 'create'];

/** The marker of a task whose worker asks the user first: `ASK THE USER: <question>` (to the end of its line). */
export const ASK_MARK = 'ASK THE USER:';
/** Claude Code's own question tool (a dialog in its pane, unless a PreToolUse hook answers it). */
export const ASK_USER_TOOL = 'AskUserQuestion';

/** The question of a task holding `ASK THE USER: <question>`, or undefined. */
export function askTask(text: string): string | undefined {
  const i = text.indexOf(ASK_MARK);
  return i < 0
    ? undefined
    : text
        .slice(i + ASK_MARK.length)
        .split('\n')[0]!
        .trim() || undefined;
}

/**
 * The answer in the result of an AskUserQuestion call: crewmux's hook hands it over as the deny reason
 * (`... The answer: TEXT`), Claude's dialog as `"question"="answer"`; otherwise the result's first line.
 */
export function answerOf(result: string | undefined): string {
  const r = result ?? '';
  const m = /The answer: ([^\n]*)/.exec(r) ?? /"[^"]*"="([^"]*)"/.exec(r);
  return (m?.[1] ?? r.split('\n')[0] ?? '').trim();
}

/** crewmux's note that ends a follow-up turn's text (followUpTurn in src/core/workers/prompts.ts). */
export const NEW_TURN_MARK = '(crewmux: a new turn.';

/** The mark of a review request (verdictInstructions in src/app/review/verdicts.ts). */
export const VERDICT_MARK = 'Give your verdict with the submit_verdict tool';

/**
 * A reviewer asked for a verdict (cross_review, a gate round): it reads the criteria and the diff of the latest
 * request; a criterion `FILE exists` is met when the diff adds or changes FILE (`+++ b/FILE`), any other criterion
 * is met. It submits one verdict per request (a gate round N is its Nth), then calls worker_done. Undefined when no
 * verdict is asked or submit_verdict cannot be reached.
 */
function reviewer(conv: Conversation): Decision | undefined {
  if (!conv.text.includes(VERDICT_MARK)) return undefined;
  const rounds = [...conv.text.matchAll(/Review gate round (\d+) of \d+/g)].map((m) => Number(m[1]));
  const asked = Math.max(1, ...rounds);
  const keys = conv.calls.map((c) => ({ key: callKey(c), result: c.result }));
  // A relaunched reviewer that answered before is told its verdict stands.
  const verdicts = keys.filter(
    (k) => k.key === 'submit_verdict' && (!isError(k.result) || /already recorded/.test(k.result ?? '')),
  ).length;
  if (verdicts < asked) {
    const at = rounds.length
      ? conv.text.lastIndexOf(`Review gate round ${asked} of`)
      : conv.text.lastIndexOf(VERDICT_MARK);
    const latest = conv.text.slice(at);
    const list = latest.split('\nCriteria:\n')[1] ?? '';
    const criteria = [...list.matchAll(/^- \[([\w.-]+)\] (.*)$/gm)].map((m) => {
      const file = /(\S+\.\w+) exists/.exec(m[2]!)?.[1];
      const met = !file || latest.includes(`+++ b/${file}`);
      return {
        id: m[1]!,
        met,
        file,
        evidence: file ? `the diff ${met ? 'adds' : 'does not add'} ${file}` : 'read the diff',
      };
    });
    const unmet = criteria.filter((c) => !c.met);
    const args = {
      verdict: unmet.length ? 'fail' : 'pass',
      risk: unmet.length ? 'high' : 'low',
      criteria: criteria.map(({ id, met, evidence }) => ({ id, met, evidence })),
      findings: unmet.map((c) => ({
        file: c.file!,
        severity: 'high',
        text: `${c.file} is missing on the integration head (criterion ${c.id}): create it`,
      })),
    };
    return callCrewmux(conv, 'submit_verdict', args);
  }
  if (keys.filter((k) => k.key === 'worker_done').length < asked)
    return callCrewmux(conv, 'worker_done', { status: 'done', summary: `Verdict given (${verdicts})` });
  return { kind: 'text', text: `DONE: ${verdicts} verdict(s) given` };
}

function worker(conv: Conversation): Decision {
  const verdict = reviewer(conv);
  if (verdict) return verdict;
  // A follow-up turn (send_to_worker): its task is the last `Create file` line; it writes and reports once more.
  const turn = conv.text.split(NEW_TURN_MARK).length;
  if (turn > 1) {
    const tasks = [...conv.text.matchAll(/Create file (\S+) containing ([^\n]+)/g)];
    const last = tasks.at(-1);
    const t = last ? { file: last[1]!, content: last[2]!.trim() } : fileTask(conv.text);
    return writeThenDone(conv, t.file, t.content, turn);
  }
  const task = fileTask(conv.text);
  const { file } = task;
  let { content } = task;
  // A task with ASK THE USER first asks with Claude's AskUserQuestion (where offered), then writes the answer.
  const question = askTask(conv.text);
  const ask = question ? find(conv, (t) => t.name === ASK_USER_TOOL) : undefined;
  if (question && ask) {
    const asked = conv.calls.find((c) => c.name === ASK_USER_TOOL);
    if (!asked) {
      const options = [
        { label: 'Option A', description: 'the first choice' },
        { label: 'Option B', description: 'the second choice' },
      ];
      return {
        kind: 'tool',
        tool: ask,
        args: { questions: [{ question, header: 'Question', options, multiSelect: false }] },
      };
    }
    content = `${content} ${answerOf(asked.result)}`;
  } else if (question && conv.text.includes(ASK_USER_TOOL)) {
    // Offered only as a deferred tool: load it first.
    const search = find(conv, (t) => t.name === 'ToolSearch');
    if (search && !conv.calls.map(callKey).includes(`search:${ASK_USER_TOOL}`))
      return { kind: 'tool', tool: search, args: { query: `select:${ASK_USER_TOOL}` } };
  }
  return writeThenDone(conv, file, content, 1);
}

/** Turn `turn` of a worker: write `file` unless `turn` writes were made, then worker_done unless `turn` were made. */
function writeThenDone(conv: Conversation, file: string, content: string, turn: number): Decision {
  const cwd = cwdOf(conv.text);
  const abs = file.startsWith('/') || !cwd ? file : `${cwd}/${file}`;
  const keys = conv.calls.map(callKey);
  const writes = conv.calls.filter(
    (c) => WRITE_TOOLS.includes(c.name) || c.name === 'exec_command' || c.name === 'shell' || c.name === 'apply_patch',
  ).length;
  if (writes < turn) {
    const w = find(conv, (t) => WRITE_TOOLS.includes(t.name));
    if (w) {
      const props = w.schema?.properties ?? {};
      const pathKey = ['file_path', 'filePath', 'path', 'absolute_path'].find((k) => k in props) ?? 'file_path';
      const contentKey = 'file_text' in props ? 'file_text' : 'content';
      return { kind: 'tool', tool: w, args: { [pathKey]: abs, [contentKey]: content + '\n' } };
    }
    const sh = find(conv, (t) => t.name === 'exec_command' || t.name === 'shell');
    if (sh) {
      const script = `printf '%s\\n' ${shq(content)} > ${shq(file)}`;
      return {
        kind: 'tool',
        tool: sh,
        args: sh.name === 'shell' ? { command: ['bash', '-lc', script] } : { cmd: script },
      };
    }
  }
  if (keys.filter((k) => k === 'worker_done').length < turn) {
    const d = callCrewmux(conv, 'worker_done', { status: 'done', summary: `Created ${file}` });
    if (d) return d;
  }
  return { kind: 'text', text: `DONE: wrote ${file}` };
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
