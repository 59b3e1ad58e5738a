/** The verified version ranges of the registry and the warning detect and doctor give outside them (issue 21). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareVersions, versionFit, versionWarning } from '../../src/core/agents/verified.js';
import { BUILTIN_AGENTS, findAgent } from '../../src/core/agents/registry.js';
import { detectAgents } from '../../src/app/agents/detect.js';
import { renderDetect } from '../../src/cli/commands/detect.js';
import type { AgentProfile } from '../../src/core/agents/profile.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

test('compareVersions: numeric parts, missing parts are 0, a pre-release sorts before its release', () => {
  assert.ok(compareVersions('2.1.40', '2.1.332') < 0, 'numeric, not text');
  assert.ok(compareVersions('2.1.332', '2.1.197') > 0);
  assert.equal(compareVersions('1.2', '1.2.0'), 0);
  assert.equal(compareVersions('v0.61.0', '0.61.0'), 0);
  assert.ok(compareVersions('1.18.33-beta.1', '1.18.33') < 0);
  assert.ok(compareVersions('0.0.1790142911-g7618fb', '0.0.1780000000-gabc') > 0, "amp's timestamped versions");
  assert.ok(compareVersions('garbage', '0.1.0') < 0);
});

test('versionFit: inside, above and below the range, no range, no version', () => {
  const r = { min: '2.1.197', max: '2.1.332' };
  assert.equal(versionFit('2.1.332', r), 'verified');
  assert.equal(versionFit('2.1.197', r), 'verified');
  assert.equal(versionFit('2.1.250', r), 'verified');
  assert.equal(versionFit('2.1.333', r), 'newer');
  assert.equal(versionFit('3.0.0', r), 'newer');
  assert.equal(versionFit('2.1.100', r), 'older');
  assert.equal(versionFit('2.1.332', undefined), 'unverified');
  assert.equal(versionFit(undefined, r), 'unknown');
});

test('versionWarning: a newer version says what may break, how to pin the verified one and where to report', () => {
  const r = { min: '2.1.197', max: '2.1.332' };
  const w = versionWarning('claude', '2.1.340', r, 'npm install -g @anthropic-ai/claude-code')!;
  assert.match(w, /^claude 2\.1\.340 is newer than the versions crewmux was verified on \(2\.1\.197 to 2\.1\.332\)/);
  assert.match(w, /state \(ready, busy, waiting\)/);
  assert.match(w, /npm install -g @anthropic-ai\/claude-code@2\.1\.332/);
  assert.match(w, /docs\/agents\.md#agent-versions/);
  assert.match(
    versionWarning('codex', '0.100.0', { min: '0.169.0', max: '0.171.0' }, 'npm install -g @openai/codex')!,
    /older than .* \(0\.169\.0 to 0\.171\.0\): update it \(npm install -g @openai\/codex@0\.171\.0\)/,
  );
  assert.equal(versionWarning('claude', '2.1.332', r), undefined);
  assert.equal(versionWarning('aider', '0.80.0', undefined), undefined, 'unverified entries do not warn');
  assert.equal(versionWarning('claude', undefined, r), undefined);
});

test('the registry: every verified range has min <= max, and the pinned devDependency is its max', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const packageOf: Record<string, string> = {
    claude: '@anthropic-ai/claude-code',
    codex: '@openai/codex',
    gemini: '@google/gemini-cli',
    qwen: '@qwen-code/qwen-code',
    opencode: 'opencode-ai',
  };
  for (const a of BUILTIN_AGENTS) {
    if (!a.verified) continue;
    assert.ok(compareVersions(a.verified.min, a.verified.max) <= 0, `${a.name}: min <= max`);
    const pkgName = packageOf[a.name];
    if (pkgName) assert.equal(pkg.devDependencies[pkgName], a.verified.max, `${a.name}: the pin is the verified max`);
  }
  assert.deepEqual(findAgent('claude')!.verified, { min: '2.1.197', max: '2.1.332' });
  assert.deepEqual(findAgent('codex')!.verified, { min: '0.169.0', max: '0.171.0' });
});

test('detect: an installed version newer than the verified range is flagged in JSON and warned about in text', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-versions-'));
  const cli = (name: string, version: string) =>
    writeFileSync(join(dir, name), `#!/bin/sh\necho "${version} (Some CLI)"\n`, { mode: 0o755 });
  cli('new-cli', '2.1.340');
  cli('ok-cli', '2.1.332');
  cli('docs-cli', '9.9.9');
  const profile = (name: string, bin: string, verified?: AgentProfile['verified']): AgentProfile => ({
    name,
    family: name,
    description: name,
    binaries: [bin],
    versionArgs: ['--version'],
    install: `npm install -g ${name}-pkg`,
    capabilities: { mcpClient: true, interactive: true, headless: false, resume: false },
    markers: {},
    ...(verified ? { verified } : {}),
    launch: () => ({ argv: [], env: {}, prompt: 'type' }),
  });
  const range = { min: '2.1.197', max: '2.1.332' };
  try {
    const list = await detectAgents({
      agents: [profile('newer', 'new-cli', range), profile('same', 'ok-cli', range), profile('docs', 'docs-cli')],
      env: { PATH: dir },
      timeoutMs: 5_000,
    });
    const by = Object.fromEntries(list.map((a) => [a.name, a]));
    assert.equal(by.newer!.versionFit, 'newer');
    assert.match(by.newer!.versionWarning!, /newer-pkg@2\.1\.332/);
    assert.equal(by.same!.versionFit, 'verified');
    assert.equal(by.same!.versionWarning, undefined);
    assert.equal(by.docs!.versionFit, 'unverified');
    assert.equal(by.docs!.versionWarning, undefined);
    const text = renderDetect(list);
    assert.match(text, /VERIFIED/);
    assert.match(text, /same\s+\S+ok-cli\s+2\.1\.332\s.*2\.1\.197 to 2\.1\.332/);
    const warnings = text.split('\n').filter((l) => l.startsWith('Warning:'));
    assert.equal(warnings.length, 1, text);
    assert.match(warnings[0]!, /^Warning: newer 2\.1\.340 is newer than the versions crewmux was verified on/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
