/** How crewmux shows a session to the user: the exact tmux argv outside tmux and inside it (issue 14). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { attachArgv, userTmuxSocket } from '../../src/adapters/system/terminal.js';

test('outside tmux: attach-session; inside, same server: switch-client; other server: a window, never a nested pane', () => {
  const own = createTmux({ socket: 'crew', configFile: '/dev/null' });
  const follows = createTmux(); // no -L: tmux itself uses $TMUX's server
  assert.deepEqual(attachArgv(own, 'crewmux-s1', { userSocket: undefined, sameServer: false }), [
    'tmux',
    '-L',
    'crew',
    '-f',
    '/dev/null',
    'attach-session',
    '-t',
    '=crewmux-s1',
  ]);
  assert.deepEqual(attachArgv(follows, 'crewmux-s1', { userSocket: '/tmp/tmux-1/default', sameServer: true }), [
    'tmux',
    'switch-client',
    '-t',
    '=crewmux-s1',
  ]);
  assert.deepEqual(attachArgv(own, 'crewmux-s1', { userSocket: '/tmp/tmux-1/default', sameServer: false }), [
    'tmux',
    'new-window',
    '-n',
    'crewmux:crewmux-s1',
    'env -u TMUX tmux -L crew -f /dev/null attach-session -t =crewmux-s1',
  ]);
});

test("the user's tmux socket is $TMUX's first field", () => {
  assert.equal(userTmuxSocket({ TMUX: '/tmp/tmux-1000/default,4242,0' }), '/tmp/tmux-1000/default');
  assert.equal(userTmuxSocket({ TMUX: '' }), undefined);
  assert.equal(userTmuxSocket({}), undefined);
});
