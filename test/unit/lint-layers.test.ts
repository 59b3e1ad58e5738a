/**
 * The layer arrows of eslint.config.js can fail: snippets linted in memory (layer rules only, no type
 * information, so no file needs to exist) are reported when they break an arrow and pass when they don't.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let eslint: ESLint;

before(async () => {
  const config = (await import(new URL('eslint.config.js', `file://${ROOT}`).href)) as {
    layerConfigs: Linter.Config[];
  };
  eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
      { files: ['**/*.{js,ts}'], languageOptions: { sourceType: 'module', ecmaVersion: 2023 } },
      ...config.layerConfigs,
    ],
  });
});

/** The messages of the rules that carry the arrows, for `code` as if it were the file `filePath`. */
async function arrows(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  assert.ok(result);
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${filePath} did not parse`);
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

test('core importing node:fs is reported', async () => {
  const m = await arrows('src/core/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
  assert.equal(m.length, 1);
  assert.match(m[0]!, /^no-restricted-imports: .*core -> I\/O/);
});

test('core importing another layer, even as a type annotation, is reported', async () => {
  const m = await arrows(
    'src/core/workers/x.ts',
    "export type R = import('../../adapters/state/store.js').WorkerRow;\n",
  );
  assert.equal(m.length, 1);
  assert.match(m[0]!, /^no-restricted-syntax: core -> another layer/);
});

test('app importing mcp is reported', async () => {
  const m = await arrows('src/app/workers/x.ts', "import { x } from '../../mcp/x.js';\nexport const y = x;\n");
  assert.equal(m.length, 1);
  assert.match(m[0]!, /app -> an entry surface/);
});

test('cli importing an adapter is reported', async () => {
  const m = await arrows(
    'src/cli/x.ts',
    "import { createTmux } from '../adapters/tmux/tmux.js';\nexport const t = createTmux;\n",
  );
  assert.equal(m.length, 1);
  assert.match(m[0]!, /cli -> adapters is not an arrow/);
});

test('app importing an adapter outside APP_ADAPTER_EXCEPTIONS is reported, type-only imports too', async () => {
  const m = await arrows(
    'src/app/session/x.ts',
    "import type { Thing } from '../../adapters/not-listed.js';\nexport type T = Thing;\n" +
      "export const load = () => import('../../adapters/also-not-listed.js');\n",
  );
  assert.equal(m.length, 2);
  for (const line of m) assert.match(line, /app -> adapters is not an arrow/);
});

test('mcp and dashboard do not import each other or compose', async () => {
  assert.equal((await arrows('src/mcp/tools/x.ts', "export * from '../../dashboard/x.js';\n")).length, 1);
  assert.equal((await arrows('src/dashboard/x.ts', "import '../compose/x.js';\n")).length, 1);
});

test('adapters reach app only through app/ports', async () => {
  assert.equal(
    (await arrows('src/adapters/x.ts', "import type { P } from '../app/runtime.js';\nexport type Q = P;\n")).length,
    1,
  );
  assert.deepEqual(
    await arrows('src/adapters/x.ts', "import type { P } from '../app/ports/p.js';\nexport type Q = P;\n"),
    [],
  );
});

test('bin imports only the built entry points', async () => {
  assert.equal((await arrows('bin/crewmux.js', "import '../dist/src/app/runtime.js';\n")).length, 1);
  assert.deepEqual(await arrows('bin/crewmux.js', "import '../dist/src/cli/main.js';\n"), []);
});

test('the allowed arrows are not reported', async () => {
  const allowed: [string, string][] = [
    [
      'src/cli/commands/x.ts',
      "import { a } from '../../app/session/status.js';\nimport { b } from '../../compose/app-context.js';\nimport { c } from '../../core/errors.js';\nimport { d } from '../output.js';\nexport const all = [a, b, c, d];\n",
    ],
    [
      'src/core/agents/x.ts',
      "import { z } from 'zod';\nimport { join } from 'node:path';\nimport { e } from '../errors.js';\nexport const all = [z, join, e];\n",
    ],
    [
      'src/app/llm/x.ts',
      "import { ensureDir } from '../../adapters/system/files.js';\nimport type { Store } from '../ports/store.js';\nimport { n } from '../../core/workers/naming.js';\nimport type { P } from '../ports/p.js';\nexport const all = [ensureDir, n];\nexport type T = [Store, P];\n",
    ],
    [
      'src/app/ports/x.ts',
      "import type { W } from '../../core/workers/w.js';\nimport type { Q } from './q.js';\nexport type T = [W, Q];\n",
    ],
    [
      'src/compose/x.ts',
      "import { t } from '../adapters/tmux/tmux.js';\nimport { m } from '../mcp/http-server.js';\nimport { d } from '../dashboard/build-dashboard.js';\nexport const all = [t, m, d];\n",
    ],
    [
      'src/mcp/tools/x.ts',
      "import { a } from '../../app/runtime.js';\nimport { d } from '../define-tool.js';\nexport const all = [a, d];\n",
    ],
  ];
  for (const [filePath, code] of allowed) assert.deepEqual(await arrows(filePath, code), [], filePath);
});
