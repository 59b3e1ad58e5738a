import { test } from 'node:test';
import assert from 'node:assert/strict';
import { descendants, findAgentInTree, recognizeCommand } from '../../src/core/agents/recognition.js';

test('agents are recognised by binary, interpreter script or package path', () => {
  assert.equal(recognizeCommand(['claude']), 'claude');
  assert.equal(recognizeCommand(['/usr/local/bin/codex', '--yolo']), 'codex');
  assert.equal(recognizeCommand(['node', '/usr/bin/gemini']), 'gemini');
  assert.equal(
    recognizeCommand(['node', '--no-warnings', '/usr/lib/node_modules/@qwen-code/qwen-code/cli.js']),
    'qwen',
  );
  assert.equal(recognizeCommand(['/usr/bin/python3', '/home/u/.local/bin/aider', '--model', 'x']), 'aider');
  assert.equal(recognizeCommand(['/x/node_modules/opencode-ai/bin/.opencode']), 'opencode');
  assert.equal(recognizeCommand(['kiro-cli', 'chat']), 'kiro-cli');
});

test('titles and arguments that merely mention an agent are not agents', () => {
  assert.equal(recognizeCommand(['vim', 'claude.md']), undefined);
  assert.equal(recognizeCommand(['sh', '-c', 'echo claude codex']), undefined);
  assert.equal(recognizeCommand(['bash']), undefined);
  assert.equal(recognizeCommand(['node', 'server.js', 'claude']), undefined);
  assert.equal(recognizeCommand([]), undefined);
});

test('the outermost agent of a pane tree is reported', () => {
  const table = [
    { pid: 1, ppid: 0, argv: ['tmux'] },
    { pid: 10, ppid: 1, argv: ['bash'] },
    { pid: 11, ppid: 10, argv: ['node', '/usr/bin/codex'] },
    { pid: 12, ppid: 11, argv: ['/x/codex/codex'] },
    { pid: 20, ppid: 1, argv: ['claude'] },
  ];
  const tree = descendants(table, 10);
  assert.deepEqual(
    tree.map((p) => p.pid),
    [10, 11, 12],
  );
  assert.deepEqual(findAgentInTree(tree), { agent: 'codex', process: table[2] });
  assert.deepEqual(descendants(table, 99), []);
});
