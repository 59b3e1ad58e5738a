/**
 * The lead's view of agents running outside its session (under crewmux-shim, or in plain tmux panes): list
 * them, type into them, read what they print. Shim agents are driven over their JSON-RPC socket; agents in
 * plain tmux panes by paste-buffer + a separate Enter, and read with capture-pane. Domain failures throw
 * ToolError with a message starting `Error:` that says what to do next; the MCP layer turns it into an
 * `isError` result.
 */
import { hostname } from 'node:os';
import { createCardStore, isOwnSocket } from '../../adapters/external/card-store.js';
import { browse } from '../../adapters/external/mdns.js';
import { callRpc, RpcCallError } from '../../adapters/external/json-rpc-client.js';
import { environHas, readProcessTable } from '../../adapters/external/proc-table.js';
import { isAlive } from '../../adapters/process/process-tree.js';
import { MDNS_SERVICE_TYPE, ReadResult, RPC_ERRORS, SendResult } from '../../core/external/shim-protocol.js';
import type { DiscoveredAgent } from '../../core/external/discovery-merge.js';
import { ToolError } from '../../core/errors.js';
import { escapeControls } from '../../core/text/terminal-text.js';
import { agentsDir, runDiscovery, type DiscoveryDeps, type DiscoveryResult } from './discovery.js';
import type { AppServices } from '../services.js';

export type { DiscoveredAgent } from '../../core/external/discovery-merge.js';
export type { DiscoveryResult } from './discovery.js';

/**
 * Everything the three use cases need: the discovery ports (cards, tmux server, mDNS browse, /proc) plus
 * state kept between calls. Keep one deps object per lead session so read cursors survive between calls.
 */
export interface ExternalAgentDeps extends DiscoveryDeps {
  /** Read cursor per agent id (shim byte offsets); repeated reads continue where the last stopped. */
  cursors: Map<string, number>;
  /** Agents seen by the last discovery, to tell "gone" from "never existed". */
  known: Map<string, DiscoveredAgent>;
  /** Milliseconds between the text and the separate Enter key, default 300. */
  enterDelayMs?: number;
  /** Timeout of one shim RPC call, ms, default 5 000. */
  rpcTimeoutMs?: number;
  /** Waits `ms` milliseconds (default: the system clock's sleep). */
  sleep: (ms: number) => Promise<void>;
}

/** Production deps from the app context: cards in `<runtimeDir>/agents`, ctx.tmux, mDNS unless CREWMUX_MDNS=0. */
export function createExternalAgentDeps(
  ctx: Pick<AppServices, 'paths' | 'tmux' | 'env' | 'clock'>,
  overrides: Partial<ExternalAgentDeps> = {},
): ExternalAgentDeps {
  return {
    cards: createCardStore(agentsDir(ctx.paths)),
    tmux: ctx.tmux,
    browseMdns:
      ctx.env.CREWMUX_MDNS === '0'
        ? null
        : async (ms) => {
            const errors: Error[] = [];
            const found = await browse(MDNS_SERVICE_TYPE, ms, { onError: (e) => errors.push(e) });
            // A socket error with nothing found is worth a warning; with results, it was one interface's hiccup.
            if (errors.length && found.length === 0)
              throw errors[0] instanceof Error ? errors[0] : new Error(String(errors[0]));
            return found;
          },
    hostname: hostname(),
    processTable: readProcessTable,
    isAlive,
    environHas,
    isOwnSocket,
    cursors: new Map(),
    known: new Map(),
    sleep: (ms) => ctx.clock.sleep(ms),
    ...overrides,
  };
}

/** Lists running agents (deduped, dead ones pruned, crewmux's own skipped) and remembers them for send/read. */
export async function discoverAgents(deps: ExternalAgentDeps): Promise<DiscoveryResult> {
  const r = await runDiscovery(deps);
  for (const a of r.agents) deps.known.set(a.id, a);
  return r;
}

const MAX_TEXT = 100_000;
const DEFAULT_READ = 8_000;

function gone(id: string, why: string): ToolError {
  return new ToolError(
    `Error: agent ${id} is no longer running (${why}). Call discover_running_agents to see the agents that are running now.`,
  );
}

/** The live agent `id`; throws ToolError for unknown ids and for agents that went away. */
async function resolve(deps: ExternalAgentDeps, id: string): Promise<DiscoveredAgent> {
  // Cards and panes are cheap to re-check; mDNS is only needed for shims without a card here.
  const { agents } = await runDiscovery(deps, { mdns: false });
  const live = agents.find((a) => a.id === id);
  if (live) return live;
  const seen = deps.known.get(id);
  if (
    seen?.via === 'shim' &&
    seen.sources.includes('mdns') &&
    deps.isAlive(seen.pid) &&
    seen.socket &&
    deps.isOwnSocket(seen.socket)
  )
    return seen;
  if (seen) {
    deps.known.delete(id);
    throw gone(
      id,
      seen.via === 'shim' ? 'its shim exited' : `no agent runs in tmux pane ${seen.tmux?.target ?? ''} any more`,
    );
  }
  throw new ToolError(`Error: unknown agent id "${id}". Call discover_running_agents and use one of the ids it lists.`);
}

async function rpc<T>(
  deps: ExternalAgentDeps,
  a: DiscoveredAgent,
  method: string,
  params: unknown,
  parse: (v: unknown) => T,
): Promise<T> {
  try {
    return parse(await callRpc(a.socket!, method, params, deps.rpcTimeoutMs ?? 5_000));
  } catch (e) {
    if (e instanceof RpcCallError && e.code === RPC_ERRORS.agentExited)
      throw gone(a.id, 'the agent inside the shim exited');
    if (e instanceof RpcCallError && e.code === undefined) throw gone(a.id, `its socket does not answer: ${e.message}`);
    throw new ToolError(`Error: ${a.id} refused ${method}: ${(e as Error).message}`);
  }
}

export interface SendOutcome {
  id: string;
  via: 'shim' | 'tmux';
  /** Characters of text typed (Enter not counted). */
  chars: number;
  /** Enter was pressed as a separate key after the text. */
  enter: true;
}

/**
 * Types `text` into agent `id` (its control characters escaped: text is never keys), then presses Enter
 * as a separate key; throws ToolError when it cannot.
 */
export async function sendToExternalAgent(deps: ExternalAgentDeps, id: string, raw: string): Promise<SendOutcome> {
  if (raw.length > MAX_TEXT)
    throw new ToolError(`Error: the text is ${raw.length} characters; send at most ${MAX_TEXT} at a time.`);
  const text = escapeControls(raw);
  const a = await resolve(deps, id);
  const enterDelayMs = deps.enterDelayMs ?? 300;
  if (a.via === 'shim') {
    await rpc(deps, a, 'send', { text, enter: true, enterDelayMs }, (v) => SendResult.parse(v));
  } else {
    const tmux = deps.tmux!;
    const pane = a.tmux!.paneId;
    if (text.length) {
      const buffer = `crewmux-ext-${process.pid}-${pane.slice(1)}`;
      await tmux.setBuffer(buffer, text);
      await tmux.pasteBuffer(buffer, pane);
    }
    await deps.sleep(enterDelayMs);
    await tmux.sendKeys(pane, 'Enter');
  }
  return { id, via: a.via, chars: text.length, enter: true };
}

export interface ReadOutcome {
  id: string;
  via: 'shim' | 'tmux';
  /**
   * `stream`: new output since the previous read (ANSI removed; the newest `maxBytes` if more arrived,
   * with `skippedBytes` counting the rest). `screen`: the pane's current screen and recent scrollback.
   */
  mode: 'stream' | 'screen';
  text: string;
  skippedBytes: number;
  /** The agent has exited (a shim keeps its last output readable until it closes). */
  exited: boolean;
}

/** Reads agent `id`'s output, at most `maxBytes` (default 8 000, 1..1 000 000); throws ToolError when it cannot. */
export async function readFromExternalAgent(
  deps: ExternalAgentDeps,
  id: string,
  maxBytes = DEFAULT_READ,
): Promise<ReadOutcome> {
  if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > 1_000_000) {
    throw new ToolError('Error: max_bytes must be a whole number from 1 to 1000000.');
  }
  const a = await resolve(deps, id);
  if (a.via === 'shim') {
    const r = await rpc(deps, a, 'read', { cursor: deps.cursors.get(id), maxBytes, strip: true, newest: true }, (v) =>
      ReadResult.parse(v),
    );
    deps.cursors.set(id, r.next);
    return { id, via: 'shim', mode: 'stream', text: r.text, skippedBytes: r.skipped, exited: r.exited };
  }
  const screen = (await deps.tmux!.capturePane(a.tmux!.paneId, 200)).replace(/\s+$/, '');
  const bytes = Buffer.from(screen, 'utf8');
  const cut = Math.max(0, bytes.length - maxBytes);
  // Start after a newline (and never inside a UTF-8 character) when cutting.
  let text = bytes
    .subarray(cut)
    .toString('utf8')
    .replace(/^\uFFFD+/, '');
  if (cut > 0 && text.includes('\n')) text = text.slice(text.indexOf('\n') + 1);
  return { id, via: 'tmux', mode: 'screen', text, skippedBytes: cut, exited: false };
}
