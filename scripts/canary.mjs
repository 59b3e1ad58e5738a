#!/usr/bin/env node
// `npm run canary`: are crewmux's verified agent CLIs still right on their latest releases?
// For each registry entry with a verified range and an npm package (claude, codex, gemini, qwen, opencode):
//   1. asks the registry for the package's latest version (`npm view`);
//   2. installs it into a temp dir (`npm install --prefix`, never -g) with HOME and the npm cache in that temp dir,
//      so the user's HOME is not touched; a latest that equals the installed pin reuses node_modules/.bin
//      (--install-all installs it anyway);
//   3. runs the real-agent e2e (the test/e2e/real-agents-run-*.test.ts file whose name holds the CLI: the CLI as
//      worker, and as lead with its own worker, through `crewmux run`) with CREWMUX_AGENT_BIN_DIR naming those
//      binaries;
//   4. re-records the pane fixtures (test/integration/real-agents-tui.test.ts with CREWMUX_RECORD_PANES=1 and
//      CREWMUX_PANES_DIR in the temp dir), checks that crewmux's markers detect each recorded state, and diffs the
//      panes against the committed test/fixtures/panes/ (paths and clock times normalised);
//   5. prints a table: CLI, pinned, latest, lead ok, worker ok, status detection ok, what changed.
// Exit 1 when a run or a detection failed. The temp dir keeps the recorded panes and the diffs (the installs
// are removed); --keep keeps everything.
// Usage: npm run canary [-- [agent...] [--install-all] [--keep]]   (build first: npm run canary does)
// CI runs it only when CREWMUX_CANARY=1 (.ci/run); it downloads hundreds of MB and takes 10+ minutes.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const DIST = join(ROOT, 'dist');
const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
const installAll = args.includes('--install-all');
const keep = args.includes('--keep');

if (process.env.CI && process.env.CREWMUX_CANARY !== '1') {
  process.stdout.write('canary: skipped in CI (set CREWMUX_CANARY=1 to run it)\n');
  process.exit(0);
}
if (!existsSync(join(DIST, 'src', 'core', 'agents', 'registry.js'))) {
  process.stderr.write('canary: dist/ is missing; run `npm run build` first (npm run canary does)\n');
  process.exit(2);
}
const { BUILTIN_AGENTS } = await import(join(DIST, 'src', 'core', 'agents', 'registry.js'));
const { detectStatus } = await import(join(DIST, 'src', 'core', 'workers', 'status-detect.js'));

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const npmPackage = (a) => /^npm (?:install|i) (?:-g )?(\S+)$/.exec(a.install ?? '')?.[1];
const agents = BUILTIN_AGENTS.filter((a) => a.verified && npmPackage(a) && (!only.length || only.includes(a.name)));
const unknown = only.filter((n) => !agents.some((a) => a.name === n));
if (unknown.length) {
  const names = BUILTIN_AGENTS.filter((a) => a.verified && npmPackage(a)).map((a) => a.name);
  process.stderr.write(`canary: ${unknown.join(', ')} is not a verified npm agent; choose from ${names.join(', ')}\n`);
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), 'crewmux-canary-'));
const home = join(tmp, 'home');
const prefix = join(tmp, 'install');
const binDir = join(tmp, 'bin');
const panesDir = join(tmp, 'panes');
const diffsDir = join(tmp, 'diffs');
for (const d of [home, prefix, binDir, panesDir, diffsDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
// npm with HOME and its cache in the temp dir: nothing is written under the user's HOME.
const npmEnv = {
  ...process.env,
  HOME: home,
  npm_config_cache: join(tmp, 'npm-cache'),
  npm_config_update_notifier: 'false',
};
const log = (s) => process.stdout.write(`canary: ${s}\n`);

function npm(argv) {
  const r = spawnSync('npm', argv, { env: npmEnv, encoding: 'utf8', timeout: 20 * 60_000, cwd: tmp });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() };
}

/** Links the agent's binaries from `from` (a node_modules/.bin) into the canary's bin dir. */
function link(agent, from) {
  for (const b of agent.binaries) {
    if (existsSync(join(from, b)) && !existsSync(join(binDir, b))) symlinkSync(join(from, b), join(binDir, b));
  }
}

/** Runs one compiled test file with `env`; returns per-test results from its TAP output, by test name. */
function runTests(file, env) {
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', join(DIST, 'test', file)], {
    cwd: ROOT,
    env: { ...process.env, ...env, CREWMUX_AGENT_BIN_DIR: binDir },
    encoding: 'utf8',
    timeout: 30 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const results = [];
  for (const m of out.matchAll(/^\s*(not )?ok \d+ - (.+?)(?: # (SKIP|TODO).*)?$/gm))
    results.push({ name: m[2], ok: !m[1], skipped: Boolean(m[3]) });
  return { results, out, status: r.status };
}

/** The real-agent e2e file that runs `agent`: each test/e2e/real-agents-run-<agents>.test.ts names its CLIs. */
function realAgentsFile(agent) {
  const files = readdirSync(join(DIST, 'test', 'e2e')).filter((f) => /^real-agents-run-.+\.test\.js$/.test(f));
  const file = files.find((f) =>
    f
      .replace(/^real-agents-run-|\.test\.js$/g, '')
      .split('-')
      .includes(agent),
  );
  if (!file) throw new Error(`no test/e2e/real-agents-run-*.test.ts runs ${agent} (files: ${files.join(', ')})`);
  return file;
}

const verdict = (results, re) => {
  const hits = results.filter((t) => re.test(t.name));
  if (!hits.length) return 'not run';
  if (hits.every((t) => t.skipped)) return 'skipped';
  return hits.every((t) => t.ok) ? 'yes' : 'NO';
};

/**
 * Pane text with what differs between any two recordings of the same version replaced: temp paths, clock times,
 * durations, token counts, and animation (a logo drawn in block elements, a braille spinner, a blinking or
 * spinning bullet, Claude Code's random spinner verb); whitespace is collapsed. What a busy pane shows still
 * depends on the moment it was captured (a tool call drawn or not yet).
 */
const normalise = (s) =>
  s
    .replace(/\/tmp\/crewmux-agents-\w+/g, '<tmp>')
    .replace(/\b\d{1,2}:\d{2}(?: ?[AP]M)?\b/g, '<time>')
    .replace(/\b\d+(?:\.\d+)?m?s\b/g, '<dur>')
    .replace(/↓ \d+ tokens/g, '↓ <n> tokens')
    .split('\n')
    .map((l) =>
      l
        .replace(/[\u2580-\u259f\u2800-\u28ff~]/g, ' ')
        .replace(/^\s*[◦•●✽✻✶✳✢⏺·] /, '')
        .replace(/^\s*[A-Z][\w-]*… \(/, '<verb>… (')
        // Indentation and padding move with the animation (and the pane width); the text is what matters.
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .join('\n');

/** Compares recorded panes with the committed fixtures; writes a unified diff per state, returns a summary. */
function comparePanes(agent) {
  const fresh = join(panesDir, agent.name);
  const committed = join(ROOT, 'test', 'fixtures', 'panes', agent.name);
  const changes = [];
  let detected = 0;
  const misdetected = [];
  const states = existsSync(fresh) ? readdirSync(fresh).filter((f) => f.endsWith('.txt')) : [];
  for (const f of states) {
    const state = f.replace(/\.txt$/, '');
    const now = readFileSync(join(fresh, f), 'utf8');
    const got = detectStatus(agent.markers, now);
    if (got === state) detected++;
    else misdetected.push(`${state} read as ${got}`);
    const beforePath = join(committed, f);
    const before = existsSync(beforePath) ? readFileSync(beforePath, 'utf8') : '';
    const [a, b] = [normalise(before), normalise(now)];
    if (a === b) continue;
    const na = join(diffsDir, `${agent.name}-${state}.committed.txt`);
    const nb = join(diffsDir, `${agent.name}-${state}.latest.txt`);
    writeFileSync(na, a);
    writeFileSync(nb, b);
    const d = spawnSync('git', ['diff', '--no-index', '--no-color', '--stat=80', '-U2', na, nb], { encoding: 'utf8' });
    writeFileSync(join(diffsDir, `${agent.name}-${state}.diff`), d.stdout ?? '');
    const al = new Set(a.split('\n'));
    const bl = new Set(b.split('\n'));
    const added = [...bl].filter((l) => !al.has(l)).length;
    const removed = [...al].filter((l) => !bl.has(l)).length;
    changes.push(`${state} +${added}/-${removed}`);
  }
  const all = ['ready', 'busy', 'waiting'];
  const missing = all.filter((s) => !states.includes(`${s}.txt`));
  return { detected, misdetected, missing, changes };
}

const rows = [];
let failed = false;
for (const agent of agents) {
  const name = npmPackage(agent);
  const pinned = pkg.devDependencies?.[name] ?? '-';
  const view = npm(['view', name, 'version']);
  const latest = view.ok ? view.out.split('\n').at(-1) : undefined;
  const row = { cli: agent.name, pinned, latest: latest ?? '?', lead: '-', worker: '-', status: '-', changed: '' };
  rows.push(row);
  if (!latest) {
    row.changed = `npm view failed: ${view.err.split('\n').at(-1)}`;
    failed = true;
    continue;
  }
  const repoBin = join(ROOT, 'node_modules', '.bin');
  if (latest === pinned && !installAll && agent.binaries.some((b) => existsSync(join(repoBin, b)))) {
    log(`${agent.name}: latest ${latest} is the pin; using node_modules/.bin`);
    link(agent, repoBin);
  } else {
    log(`${agent.name}: installing ${name}@${latest} into ${prefix}`);
    const inst = npm(['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `${name}@${latest}`]);
    if (!inst.ok) {
      row.changed = `install failed: ${inst.err.split('\n').slice(-2).join(' ')}`;
      failed = true;
      continue;
    }
    link(agent, join(prefix, 'node_modules', '.bin'));
  }
  log(`${agent.name}: real-agent e2e (lead and worker through crewmux run)`);
  const e2e = runTests(join('e2e', realAgentsFile(agent.name)), { CREWMUX_AGENTS: agent.name });
  row.worker = verdict(e2e.results, new RegExp(`^${agent.name} as worker`));
  row.lead = verdict(e2e.results, new RegExp(`^${agent.name} as lead`));
  writeFileSync(join(diffsDir, `${agent.name}-e2e.tap`), e2e.out);
  log(`${agent.name}: recording panes`);
  const tui = runTests(join('integration', 'real-agents-tui.test.js'), {
    CREWMUX_AGENTS: agent.name,
    CREWMUX_RECORD_PANES: '1',
    CREWMUX_PANES_DIR: panesDir,
  });
  writeFileSync(join(diffsDir, `${agent.name}-tui.tap`), tui.out);
  const panes = comparePanes(agent);
  const tuiOk = tui.results.length > 0 && tui.results.every((t) => t.ok);
  const statusOk = tuiOk && panes.misdetected.length === 0 && panes.missing.length === 0;
  row.status = statusOk ? 'yes' : 'NO';
  const notes = [
    ...(latest !== pinned ? [`${pinned} -> ${latest}`] : []),
    ...(panes.changes.length ? [`panes ${panes.changes.join(', ')}`] : ['panes same']),
    ...panes.misdetected,
    ...(panes.missing.length ? [`not recorded: ${panes.missing.join(', ')}`] : []),
    ...(tuiOk ? [] : ['TUI test failed']),
  ];
  row.changed = notes.join('; ');
  if (row.lead !== 'yes' || row.worker !== 'yes' || !statusOk) failed = true;
  log(`${agent.name}: lead ${row.lead}, worker ${row.worker}, status detection ${row.status}; ${row.changed}`);
}

if (!keep) {
  rmSync(prefix, { recursive: true, force: true });
  rmSync(join(tmp, 'npm-cache'), { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
const head = ['CLI', 'pinned', 'latest', 'lead ok', 'worker ok', 'status detection ok', 'what changed'];
const cells = rows.map((r) => [r.cli, r.pinned, r.latest, r.lead, r.worker, r.status, r.changed]);
const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
process.stdout.write(`\n${[line(head), ...cells.map(line)].join('\n')}\n\n`);
log(`recorded panes, diffs and test output: ${tmp}${keep ? ' (installs kept: --keep)' : ''}`);
process.exit(failed ? 1 : 0);
