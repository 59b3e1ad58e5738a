/**
 * A stateful fake of the Tmux port (app/ports/tmux.ts) for unit tests: one server with sessions,
 * windows and panes in memory. Ids are handed out like tmux does (%0, %1, ... and @0, @1, ... across
 * the server); every pane has a pid, a screen the test sets, a current command, a pipe-pane target, a
 * dead flag and exit status. A pane that exits stays (dead) when its window has `remain-on-exit on`,
 * and is gone otherwise, as in tmux. Every call is recorded in `calls` as [method, ...arguments] (a
 * SpawnPane is recorded as its cwd; the pane keeps the whole spec), so tests assert the exact sequence.
 *
 * Modelled keys: `Enter` appends a newline to the screen (the agent reacted); after a paste, it submits like
 * an agent's input box: the pasted text moves above, and the bottom of the screen is again what it was before
 * the paste (what deliverText takes as evidence). `C-c` interrupts the pane's process (it exits with status 130
 * unless the pane was told to ignore it); pasted buffers are echoed on the screen. Not modelled: running the pane's command (a pane is as alive as the test says),
 * layouts and sizes, scrollback (`history` is ignored), client attach, formats, the real argv
 * (test/unit/tmux-argv.test.ts covers that).
 */
import { readFileSync } from 'node:fs';
import type { PaneGate, PaneInfo, ServerPane, SpawnPane, Tmux } from '../../src/app/ports/tmux.js';

export interface FakePane {
  paneId: string;
  windowId: string;
  pid: number;
  spec: SpawnPane;
  dead: boolean;
  deadStatus: number | null;
  deadSignal: number | null;
  currentCommand: string;
  /** What capture-pane returns. */
  screen: string;
  /** The shell command of `pipe-pane`, once set. */
  pipe?: string;
  /** `C-c` ends the process (status 130) unless this is 'ignore'. */
  onInterrupt: 'exit' | 'ignore';
  /** Set by adoptPane (`set-option -p remain-on-exit on`): the pane stays when it exits, whatever its window says. */
  remainOnExit?: boolean;
  /** A paste not yet submitted by Enter: the text and the screen before it. */
  pending?: { text: string; before: string };
}

interface FakeWindow {
  windowId: string;
  session: string;
  name: string;
  panes: FakePane[];
  options: Map<string, string>;
}

interface FakeSession {
  name: string;
  windows: FakeWindow[];
  options: Map<string, string>;
  /** Its own environment (sessionEnvironment); a test sets it as an attaching client's update-environment would. */
  env: Map<string, string | undefined>;
  activeWindow?: string;
}

type Method = Exclude<keyof Tmux, 'argv' | 'socket'>;

export type FakeTmux = Tmux & {
  /** Every port call so far, as [method, ...args]. */
  calls: string[][];
  /** Calls of one method, without the method name. */
  callsOf(method: Method): string[][];
  clearCalls(): void;
  /** Persistent failure of a method: every call throws this error until it is deleted. */
  fail: Partial<Record<Method, Error>>;
  /** The next call of `method` throws `err` (one-shot; queued when called twice). */
  failNext(method: Method, err: Error): void;
  /** Runs before every call (after it is recorded, before it acts): for races such as a pane opening mid-tick. */
  beforeCall?: (method: Method, args: unknown[]) => void;
  /** The screen a pane shows when its process starts (an agent's banner or ready prompt); default ''. */
  startScreen: string;
  /** Called when a pane gets a process (created or respawned); the fake runtime links pids to its runner. */
  onProcessStart?: (pane: FakePane) => void;
  /** Called when a pane's process ends (exitPane, C-c, kill). */
  onProcessEnd?: (pane: FakePane) => void;
  pane(paneId: string): FakePane | undefined;
  /** The pane whose process is `pid`. */
  paneByPid(pid: number): FakePane | undefined;
  /** Every live or dead pane, in creation order. */
  panes(): FakePane[];
  sessionNames(): string[];
  windowOption(windowId: string, name: string): string | undefined;
  sessionOption(session: string, name: string): string | undefined;
  /** The ttys of clients attached to every session (set by a test to play an attached user). */
  clients: string[];
  /** Buffer name -> text, for buffers not yet pasted. */
  buffers: Map<string, string>;
  setScreen(paneId: string, text: string): void;
  appendScreen(paneId: string, text: string): void;
  setCurrentCommand(paneId: string, cmd: string): void;
  /**
   * The pane's process exits with `status` (or is killed by `signal`): the pane is dead, or gone when its
   * window lacks remain-on-exit.
   */
  exitPane(paneId: string, status: number | null, signal?: number | null): void;
};

/** A fake tmux server with no sessions; `socket` names it in `argv`. */
export function createFakeTmux(opts: { socket?: string; version?: string } = {}): FakeTmux {
  const sessions = new Map<string, FakeSession>();
  const calls: string[][] = [];
  const oneShot = new Map<Method, Error[]>();
  let nextPane = 0;
  let nextWindow = 0;
  let nextPid = 4000;

  const windows = () => [...sessions.values()].flatMap((s) => s.windows);
  const allPanes = () => windows().flatMap((w) => w.panes);
  const findPane = (id: string) => allPanes().find((p) => p.paneId === id);
  const findWindow = (id: string) => windows().find((w) => w.windowId === id);
  const windowOf = (p: FakePane) => findWindow(p.windowId)!;

  function call(method: Method, args: unknown[]): void {
    calls.push([
      method,
      ...args.map((a) =>
        typeof a === 'object' && a !== null && 'cwd' in a ? String((a as SpawnPane).cwd) : String(a),
      ),
    ]);
    fake.beforeCall?.(method, args);
    const queued = oneShot.get(method);
    if (queued?.length) throw queued.shift()!;
    const persistent = fake.fail[method];
    if (persistent) throw persistent;
  }

  function startProcess(p: FakePane, spec: SpawnPane): void {
    Object.assign(p, {
      spec,
      pid: nextPid++,
      dead: false,
      deadStatus: null,
      deadSignal: null,
      currentCommand: 'sh',
      screen: fake.startScreen,
    });
    fake.onProcessStart?.(p);
  }

  function newPane(windowId: string, spec: SpawnPane): FakePane {
    const p: FakePane = {
      paneId: `%${nextPane++}`,
      windowId,
      pid: 0,
      spec,
      dead: false,
      deadStatus: null,
      deadSignal: null,
      currentCommand: 'sh',
      screen: '',
      onInterrupt: 'exit',
    };
    startProcess(p, spec);
    return p;
  }

  function newWindow(session: FakeSession, name: string, spec: SpawnPane): FakeWindow {
    const w: FakeWindow = { windowId: `@${nextWindow++}`, session: session.name, name, panes: [], options: new Map() };
    session.windows.push(w);
    w.panes.push(newPane(w.windowId, spec));
    return w;
  }

  function removePane(p: FakePane): void {
    const w = windowOf(p);
    w.panes = w.panes.filter((x) => x !== p);
    if (w.panes.length) return;
    const s = sessions.get(w.session)!;
    s.windows = s.windows.filter((x) => x !== w);
    if (!s.windows.length) sessions.delete(s.name);
  }

  function endProcess(p: FakePane, status: number | null, signal: number | null): void {
    if (p.dead) return;
    if (p.remainOnExit || windowOf(p).options.get('remain-on-exit') === 'on')
      Object.assign(p, { dead: true, deadStatus: status, deadSignal: signal });
    else removePane(p);
    fake.onProcessEnd?.({ ...p, dead: true, deadStatus: status, deadSignal: signal });
  }

  const requirePane = (id: string) => {
    const p = findPane(id);
    if (!p) throw new Error(`can't find pane: ${id}`);
    return p;
  };
  const requireSession = (name: string) => {
    const s = sessions.get(name);
    if (!s) throw new Error(`can't find session: ${name}`);
    return s;
  };

  const fake: FakeTmux = {
    argv: (args) => ['tmux', ...(opts.socket ? ['-L', opts.socket] : []), ...args],
    socket: opts.socket,
    calls,
    callsOf: (method) => calls.filter((c) => c[0] === method).map((c) => c.slice(1)),
    clearCalls: () => {
      calls.length = 0;
    },
    fail: {},
    failNext(method, err) {
      oneShot.set(method, [...(oneShot.get(method) ?? []), err]);
    },
    buffers: new Map(),
    clients: [],
    startScreen: '',

    async version() {
      call('version', []);
      return opts.version ?? 'tmux 3.3a';
    },

    async hasSession(name) {
      call('hasSession', [name]);
      return sessions.has(name);
    },

    async newSession(name, window, p, size) {
      call('newSession', [name, window, p, ...(size ? [`${size.width}x${size.height}`] : [])]);
      if (sessions.has(name)) throw new Error(`duplicate session: ${name}`);
      const s: FakeSession = { name, windows: [], options: new Map(), env: new Map() };
      sessions.set(name, s);
      const w = newWindow(s, window, p);
      s.activeWindow = w.windowId;
      return { paneId: w.panes[0]!.paneId, windowId: w.windowId };
    },

    async newWindow(session, window, p, opts2 = {}) {
      call('newWindow', [session, window, p, ...(opts2.detached === false ? ['attached'] : [])]);
      const s = requireSession(session);
      const w = newWindow(s, window, p);
      if (opts2.detached === false) s.activeWindow = w.windowId;
      return { paneId: w.panes[0]!.paneId, windowId: w.windowId };
    },

    async startPane(at, p, pipeTo) {
      call('startPane', ['split' in at ? at.split : `${at.session}:${at.window}`, p, pipeTo]);
      let pane: FakePane;
      if ('split' in at) {
        const w = findWindow(at.split);
        if (!w) throw new Error(`can't find window: ${at.split}`);
        pane = newPane(w.windowId, p);
        w.panes.push(pane);
      } else {
        const w = newWindow(requireSession(at.session), at.window, p);
        w.options.set('remain-on-exit', 'on');
        pane = w.panes[0]!;
      }
      pane.pipe = pipeTo;
      return { paneId: pane.paneId, windowId: pane.windowId };
    },

    async parkPane(session, window, p) {
      call('parkPane', [session, window, p]);
      const s = requireSession(session);
      const w = s.windows.find((x) => x.name === window);
      let pane: FakePane;
      if (w) {
        pane = newPane(w.windowId, p);
        w.panes.push(pane);
      } else pane = newWindow(s, window, p).panes[0]!;
      return { paneId: pane.paneId, windowId: pane.windowId, pid: pane.pid };
    },

    async sessionEnvironment(session) {
      call('sessionEnvironment', [session]);
      return new Map(requireSession(session).env);
    },

    async adoptPane(paneId, at, pipeTo) {
      call('adoptPane', [paneId, 'split' in at ? at.split : `${at.session}:${at.window}`, pipeTo]);
      const pane = requirePane(paneId);
      const target: FakeWindow | undefined =
        'split' in at
          ? findWindow(at.split)
          : { windowId: `@${nextWindow++}`, session: at.session, name: at.window, panes: [], options: new Map() };
      if (!target) throw new Error(`can't find window: ${'split' in at ? at.split : at.window}`);
      if (!('split' in at)) requireSession(at.session).windows.push(target);
      removePane(pane);
      pane.windowId = target.windowId;
      target.panes.push(pane);
      if (pipeTo) pane.pipe = pipeTo;
      pane.remainOnExit = true;
      return { paneId, windowId: target.windowId };
    },

    async splitWindow(targetWindowId, p) {
      call('splitWindow', [targetWindowId, p]);
      const w = findWindow(targetWindowId);
      if (!w) throw new Error(`can't find window: ${targetWindowId}`);
      const pane = newPane(w.windowId, p);
      w.panes.push(pane);
      return pane.paneId;
    },

    async respawnPane(paneId, p) {
      call('respawnPane', [paneId, p]);
      const pane = requirePane(paneId);
      if (!pane.dead) fake.onProcessEnd?.({ ...pane, dead: true, deadStatus: null, deadSignal: 9 });
      // tmux keeps a pane's output pipe across respawn-pane.
      startProcess(pane, p);
    },

    async setWindowOption(windowId, name, value) {
      call('setWindowOption', [windowId, name, value]);
      const w = findWindow(windowId);
      if (!w) throw new Error(`can't find window: ${windowId}`);
      w.options.set(name, value);
    },

    async setSessionOption(session, name, value) {
      call('setSessionOption', [session, name, value]);
      requireSession(session).options.set(name, value);
    },

    async pipePane(paneId, shellCommand) {
      call('pipePane', [paneId, shellCommand]);
      const p = requirePane(paneId);
      // As tmux does: the old pipe is closed first; an empty command stops there, and with -o (always given) a
      // new pipe opens only when none was open, so a second call toggles the pipe off.
      const old = p.pipe;
      p.pipe = undefined;
      if (shellCommand === '' || old !== undefined) return;
      p.pipe = shellCommand;
    },

    async selectLayout(windowId, layout = 'tiled') {
      call('selectLayout', [windowId, layout]);
    },

    async selectWindow(windowId) {
      call('selectWindow', [windowId]);
      const w = findWindow(windowId);
      if (w) sessions.get(w.session)!.activeWindow = windowId;
    },

    async listPanes(session) {
      call('listPanes', [session]);
      // A session that does not exist has no panes (the real adapter answers [] too); a failing tmux throws.
      const s = sessions.get(session);
      if (!s) return [];
      return s.windows.flatMap((w) =>
        w.panes.map((p, i): PaneInfo => ({
          paneId: p.paneId,
          windowId: w.windowId,
          windowName: w.name,
          paneIndex: i,
          pid: p.pid,
          dead: p.dead,
          deadStatus: p.deadStatus,
          deadSignal: p.deadSignal,
          currentCommand: p.currentCommand,
        })),
      );
    },

    async capturePane(paneId, history = 0) {
      call('capturePane', [paneId, ...(history ? [String(history)] : [])]);
      return findPane(paneId)?.screen ?? '';
    },

    async loadBuffer(name, file) {
      call('loadBuffer', [name, file]);
      fake.buffers.set(name, readFileSync(file, 'utf8'));
    },

    async pasteBuffer(name, paneId) {
      call('pasteBuffer', [name, paneId]);
      const text = fake.buffers.get(name);
      if (text === undefined) throw new Error(`no buffer ${name}`);
      const p = requirePane(paneId);
      fake.buffers.delete(name);
      if (!p.dead) {
        p.pending = { text: (p.pending?.text ?? '') + text, before: p.pending?.before ?? p.screen };
        p.screen += text;
      }
    },

    async sendKeys(paneId, ...keys) {
      call('sendKeys', [paneId, ...keys]);
      const p = requirePane(paneId);
      for (const k of keys) {
        if (p.dead) break;
        if (k === 'Enter' && p.pending) {
          p.screen = `> ${p.pending.text}\n${p.pending.before}`;
          p.pending = undefined;
        } else if (k === 'Enter') p.screen += '\n';
        else if (k === 'C-c') {
          p.screen += '^C\n';
          if (p.onInterrupt === 'exit') endProcess(p, 130, null);
        }
      }
    },

    async listAllPanes() {
      call('listAllPanes', []);
      return [...sessions.values()].flatMap((s) =>
        s.windows.flatMap((w, wi) =>
          w.panes.map((p, pi): ServerPane => ({
            session: s.name,
            paneId: p.paneId,
            pid: p.pid,
            dead: p.dead,
            cwd: p.spec.cwd,
            target: `${s.name}:${wi}.${pi}`,
            socketPath: `/tmp/tmux-fake/${opts.socket ?? 'default'}`,
          })),
        ),
      );
    },

    async listClients(name) {
      call('listClients', [name]);
      return sessions.has(name) ? [...fake.clients] : [];
    },

    async displayMessage(name, text) {
      call('displayMessage', [name, text]);
    },

    async setBuffer(name, text) {
      call('setBuffer', [name, text]);
      fake.buffers.set(name, text);
    },

    async killPane(paneId) {
      call('killPane', [paneId]);
      const p = findPane(paneId);
      if (!p) return;
      if (!p.dead) fake.onProcessEnd?.({ ...p, dead: true, deadStatus: null, deadSignal: 1 });
      removePane(p);
    },

    async killSession(name) {
      call('killSession', [name]);
      const s = sessions.get(name);
      if (!s) return;
      for (const p of s.windows.flatMap((w) => w.panes))
        if (!p.dead) fake.onProcessEnd?.({ ...p, dead: true, deadStatus: null, deadSignal: 1 });
      sessions.delete(name);
    },

    async killServer() {
      call('killServer', []);
      for (const name of [...sessions.keys()]) {
        for (const p of sessions.get(name)!.windows.flatMap((w) => w.panes))
          if (!p.dead) fake.onProcessEnd?.({ ...p, dead: true, deadStatus: null, deadSignal: 1 });
        sessions.delete(name);
      }
    },

    pane: findPane,
    paneByPid: (pid) => allPanes().find((p) => p.pid === pid),
    panes: () => allPanes().sort((a, b) => Number(a.paneId.slice(1)) - Number(b.paneId.slice(1))),
    sessionNames: () => [...sessions.keys()],
    windowOption: (windowId, name) => findWindow(windowId)?.options.get(name),
    sessionOption: (session, name) => sessions.get(session)?.options.get(name),
    setScreen(paneId, text) {
      requirePane(paneId).screen = text;
    },
    appendScreen(paneId, text) {
      requirePane(paneId).screen += text;
    },
    setCurrentCommand(paneId, cmd) {
      requirePane(paneId).currentCommand = cmd;
    },
    exitPane(paneId, status, signal = null) {
      endProcess(requirePane(paneId), status, signal);
    },
  };
  return fake;
}

/**
 * A fake pane start gate (the PaneGate port): creating and opening are recorded and succeed at once;
 * `fail.create` / `fail.open` make them throw. It does not model the pane waiting at the gate.
 */
export type FakeGate = PaneGate & {
  created: string[];
  opened: string[];
  fail: { create?: Error; open?: Error };
};

export function createFakeGate(): FakeGate {
  const gate: FakeGate = {
    created: [],
    opened: [],
    fail: {},
    async create(path) {
      gate.created.push(path);
      if (gate.fail.create) throw gate.fail.create;
    },
    async open(path) {
      gate.opened.push(path);
      if (gate.fail.open) throw gate.fail.open;
    },
  };
  return gate;
}
