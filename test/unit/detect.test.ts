/** crewmux detect's probing: parallel, per-probe deadlines, a hanging binary (even one whose child keeps stdout open) cannot stall it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectAgents, parseVersion } from '../../src/app/agents/detect.js';
import { renderDetect } from '../../src/cli/commands/detect.js';
import type { AgentProfile } from '../../src/core/agents/profile.js';
import { findAgent } from '../../src/core/agents/registry.js';
import { isAlive, readPidFile, signalPid } from '../helpers/wait.js';

const profile = (name: string, binaries: string[], mcpClient = true): AgentProfile => ({
  name,
  family: name,
  description: name,
  binaries,
  versionArgs: ['--version'],
  capabilities: { mcpClient, interactive: true, headless: false, resume: false },
  markers: {},
  launch: () => ({ argv: [], env: {}, prompt: 'type' }),
});

test('parseVersion finds the version token', () => {
  assert.equal(parseVersion('2.1.197 (Claude Code)'), '2.1.197');
  assert.equal(parseVersion('codex-cli 0.169.0\n'), '0.169.0');
  assert.equal(parseVersion('v1.18.33-beta.1'), '1.18.33-beta.1');
  assert.equal(parseVersion('no digits'), undefined);
});

test('detect: found, missing, hanging and stdout-holding binaries; a hanging probe ends at its deadline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-detect-'));
  const pidFile = join(dir, 'grandchild.pid');
  const script = (name: string, body: string) =>
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  script('good-cli', 'echo "good-cli 1.2.3"');
  script('hang-cli', 'exec /bin/sleep 60');
  script('holder-cli', `/bin/sleep 60 & echo $! > ${pidFile}; wait`);
  script('noversion-cli', 'echo hello; exit 3');
  try {
    // The answering probes get a deadline no loaded machine misses; the hanging ones a short one, and must come
    // back long before their 60 s sleep ends (the deadline, not the child's exit, ends a probe).
    const answering = detectAgents({
      agents: [
        profile('good', ['missing-cli', 'good-cli']),
        profile('gone', ['missing-cli']),
        profile('nover', ['noversion-cli'], false),
      ],
      env: { PATH: dir },
      timeoutMs: 30_000,
    });
    const started = Date.now();
    const hanging = await detectAgents({
      agents: [profile('hang', ['hang-cli']), profile('holder', ['holder-cli'])],
      env: { PATH: dir },
      timeoutMs: 400,
    });
    assert.ok(Date.now() - started < 30_000, 'the hanging probes ended at their deadline, not with their child');
    const list = [...(await answering), ...hanging];
    const by = Object.fromEntries(list.map((a) => [a.name, a]));
    assert.equal(by.good!.found, true);
    assert.equal(by.good!.path, join(dir, 'good-cli'));
    assert.equal(by.good!.version, '1.2.3');
    assert.equal(by.good!.canLead, true);
    assert.equal(by.gone!.found, false);
    assert.equal(by.gone!.canLead, false);
    assert.equal(by.hang!.found, true);
    assert.match(by.hang!.probeError!, /timed out|no answer/);
    assert.match(by.holder!.probeError!, /timed out|no answer/);
    assert.equal(by.nover!.canLead, false, 'no MCP client, cannot lead');
    assert.match(by.nover!.probeError!, /exited 3/);
    const text = renderDetect(list);
    assert.match(text, /good\s+\S*good-cli\s+1\.2\.3/);
    assert.match(text, /can lead: good, hang, holder/);
  } finally {
    const pid = readPidFile(pidFile);
    if (pid && isAlive(pid)) signalPid(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('detect says why an installed entry is unverifiable (amp: its model calls run on the Amp server), and not for a missing one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-detect-'));
  writeFileSync(join(dir, 'amp'), '#!/bin/sh\necho "0.0.1790142911-g7618fb"\n', { mode: 0o755 });
  try {
    const amp = findAgent('amp')!;
    const crush = findAgent('crush')!;
    assert.match(amp.unverifiable ?? '', /Amp server/);
    assert.match(crush.unverifiable ?? '', /downloads its binary from GitHub/);
    const list = await detectAgents({ agents: [amp, crush], env: { PATH: dir }, timeoutMs: 2_000 });
    assert.equal(list[0]!.unverifiable, amp.unverifiable);
    const text = renderDetect(list);
    assert.ok(text.includes(`amp is not verified by crewmux: ${amp.unverifiable}.`), text);
    assert.ok(!text.includes('crush is not verified'), 'crush is not installed: its row says how to install it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the verified registry entries carry no unverifiable reason', () => {
  for (const name of ['claude', 'codex', 'gemini', 'qwen', 'opencode', 'kilocode', 'copilot']) {
    const a = findAgent(name)!;
    assert.ok(a.verified, `${name} is verified`);
    assert.equal(a.unverifiable, undefined, name);
  }
});
