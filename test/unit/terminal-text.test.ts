import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bracketPaste, createPasteModeTracker, toPlainText } from '../../src/core/text/terminal-text.js';

test('plain text of TUI output: cursor jumps become lines, escapes and controls go', () => {
  const raw =
    '\u001b[?1049h\u001b[H\u001b[2Jfake ready\r\n\u001b[31mANSWER\u001b[0m: HI\u0007\u001b[24;1H> typed\u001b[3Cx';
  assert.equal(toPlainText(raw), '\nfake ready\nANSWER: HI\n> typed   x');
});

test('bracketed paste mode is tracked across chunk boundaries', () => {
  const t = createPasteModeTracker();
  assert.equal(t.bracketedPaste(), false);
  t.feed('abc\u001b[?20');
  t.feed('04h');
  assert.equal(t.bracketedPaste(), true);
  t.feed('\u001b[?2004l');
  assert.equal(t.bracketedPaste(), false);
});

test('a paste cannot be ended early by markers inside the text', () => {
  assert.equal(bracketPaste('a\u001b[201~b'), '\u001b[200~ab\u001b[201~');
});
