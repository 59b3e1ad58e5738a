/** The lazy command registry (src/cli/commands/index.ts) says what each command module says. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { asUserError, numberFlag } from '../../src/cli/command.js';
import { ToolError, UserError } from '../../src/core/errors.js';

test("each registry entry's command and describe equal its module's", async () => {
  for (const entry of COMMANDS) {
    const command = await entry.load();
    assert.equal(command.command, entry.command, `registry entry ${entry.command}`);
    assert.equal(command.describe, entry.describe, `describe of ${entry.command}`);
  }
});

test('command names are unique', () => {
  const names = COMMANDS.map((c) => c.command.split(' ')[0]);
  assert.deepEqual(names, [...new Set(names)]);
});

test('numberFlag accepts numbers and numeric strings in range, refuses the rest by name', () => {
  const port = numberFlag('port', { integer: true, max: 65535 });
  assert.equal(port(undefined), undefined);
  assert.equal(port(0), 0);
  assert.equal(port('8080'), 8080);
  assert.equal(port([1, 2]), 2, 'a repeated flag: the last one wins');
  for (const bad of ['abc', '', -1, '1.5', 70000, true])
    assert.throws(
      () => port(bad),
      (e: unknown) => e instanceof UserError && e.code === 'E_BAD_FLAG' && e.message.startsWith('--port must be'),
      String(bad),
    );
  const timeout = numberFlag('timeout', { positive: true, unit: 'seconds' });
  assert.equal(timeout('0.5'), 0.5);
  assert.throws(() => timeout(0), /--timeout must be a number above 0 \(seconds\); got "0"/);
});

test("asUserError turns a use case's refusal into the user's error code with its words; other errors pass", () => {
  assert.equal(
    asUserError('E_APPROVAL', () => 7),
    7,
  );
  assert.throws(
    () =>
      asUserError('E_APPROVAL', () => {
        throw new ToolError('Error: w03 has no merge waiting for approval.');
      }),
    (e: unknown) =>
      e instanceof UserError && e.code === 'E_APPROVAL' && e.message === 'w03 has no merge waiting for approval.',
  );
  const other = new Error('disk full');
  assert.throws(
    () =>
      asUserError('E_TICKET', () => {
        throw other;
      }),
    (e: unknown) => e === other,
  );
});
