import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guessVerifyCommands } from '../../src/core/setup/project-guess.js';

test('verify commands are guessed from package scripts, cargo, go, pytest and make', () => {
  assert.deepEqual(guessVerifyCommands(['package.json'], { build: 'tsc', test: 'node --test' }), [
    'npm run build',
    'npm test',
  ]);
  assert.deepEqual(guessVerifyCommands(['package.json', 'yarn.lock'], { lint: 'eslint .', test: 'jest' }), [
    'yarn run lint',
    'yarn test',
  ]);
  assert.deepEqual(guessVerifyCommands(['package.json'], { test: 'echo "Error: no test specified" && exit 1' }), []);
  assert.deepEqual(guessVerifyCommands(['Cargo.toml'], undefined), ['cargo build', 'cargo test']);
  assert.deepEqual(guessVerifyCommands(['go.mod', 'Makefile'], undefined), ['go vet ./...', 'go test ./...']);
  assert.deepEqual(guessVerifyCommands(['pyproject.toml'], undefined), ['python3 -m pytest -q']);
  assert.deepEqual(guessVerifyCommands(['Makefile'], undefined), ['make', 'make test']);
});
