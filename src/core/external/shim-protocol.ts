/**
 * The shim's wire contracts, as zod schemas: the card file, the mDNS TXT record and the JSON-RPC
 * methods spoken on its Unix socket. docs/shim.md documents the same shapes for humans.
 */
import { z } from 'zod';

/** mDNS service type (bonjour-service adds the underscores: `_crewmux-agent._tcp`). */
export const MDNS_SERVICE_TYPE = 'crewmux-agent';
export const CARD_VERSION = 1;

/** A card: one JSON file (mode 0600) per running shim, `<runtimeDir>/agents/<id>.json`. */
export const AgentCardSchema = z.object({
  version: z.literal(CARD_VERSION),
  id: z.string().regex(/^shim-\d+$/),
  agent: z.string().min(1),
  command: z.string().min(1),
  args: z.array(z.string()),
  cwd: z.string(),
  /** The shim's pid (the card's owner). */
  pid: z.number().int().positive(),
  agentPid: z.number().int().positive(),
  socket: z.string().min(1),
  host: z.string(),
  startedAt: z.string(),
  /** Set when the shim runs inside tmux: its TMUX_PANE and the server socket path from TMUX. */
  tmuxPane: z.string().optional(),
  tmuxSocket: z.string().optional(),
  /** CREWMUX_ROLE of the shim's environment: set when crewmux itself started it. */
  crewmuxRole: z.string().optional(),
});
export type AgentCard = z.infer<typeof AgentCardSchema>;

/**
 * TXT record of the mDNS service; every value is a string (DNS TXT), each under 255 bytes. It names no socket
 * path and no user: discovery finds the socket as `<agents dir>/<id>.sock` and checks it is the user's own
 * (docs/security/discovery.md); a `sock` key from an older or a spoofed advert is dropped by the parse.
 */
export const MdnsTxtSchema = z.object({
  v: z.literal('1'),
  id: z.string().regex(/^shim-\d+$/),
  pid: z.string().regex(/^\d+$/),
  agent: z.string().min(1).max(100),
  host: z.string().min(1).max(200),
  /** CREWMUX_ROLE of the shim when crewmux itself started it; discovery skips such shims. */
  role: z.string().max(20).optional(),
});
export type MdnsTxt = z.infer<typeof MdnsTxtSchema>;

export const RPC_ERRORS = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  agentExited: -32001,
} as const;

export const RpcRequestSchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
  method: z.string(),
  params: z.unknown().optional(),
});

export const InfoParams = z.object({}).strict().optional();

export const SendParams = z
  .object({
    text: z.string().max(1 << 20),
    /** Press Enter as a separate key after the text (after `enterDelayMs`). Default false. */
    enter: z.boolean().optional(),
    /** Milliseconds between the text and Enter, default 300. */
    enterDelayMs: z.number().int().min(0).max(10_000).optional(),
    /** `auto` (default) uses bracketed paste when the agent enabled it; `bracketed` always; `raw` never. */
    paste: z.enum(['auto', 'bracketed', 'raw']).optional(),
  })
  .strict();
export type SendParams = z.infer<typeof SendParams>;

export const ReadParams = z
  .object({
    /** Byte offset from a previous read's `next`; omitted: the newest `maxBytes`. */
    cursor: z.number().int().min(0).optional(),
    maxBytes: z
      .number()
      .int()
      .min(1)
      .max(1 << 20)
      .optional(),
    /** Return readable text: escapes removed, cursor moves as line breaks. */
    strip: z.boolean().optional(),
    /** When more than `maxBytes` follow the cursor, return the newest bytes (older ones counted in `skipped`). */
    newest: z.boolean().optional(),
  })
  .strict()
  .optional();
export type ReadParams = z.infer<typeof ReadParams>;

export const KillParams = z
  .object({
    signal: z.enum(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGKILL']).optional(),
  })
  .strict()
  .optional();

export const InfoResult = z.object({
  id: z.string(),
  agent: z.string(),
  command: z.string(),
  args: z.array(z.string()),
  cwd: z.string(),
  pid: z.number(),
  agentPid: z.number(),
  startedAt: z.string(),
  cols: z.number(),
  rows: z.number(),
  bracketedPaste: z.boolean(),
  /** Offset just past the newest output byte: a cursor that reads only what comes next. */
  end: z.number(),
  exited: z.boolean(),
});
export type InfoResult = z.infer<typeof InfoResult>;

export const SendResult = z.object({
  bytes: z.number(),
  enter: z.boolean(),
  bracketed: z.boolean(),
  cursor: z.number(),
});
export type SendResult = z.infer<typeof SendResult>;

export const ReadResult = z.object({
  text: z.string(),
  start: z.number(),
  next: z.number(),
  end: z.number(),
  skipped: z.number(),
  exited: z.boolean(),
});
export type ReadResult = z.infer<typeof ReadResult>;

export const KillResult = z.object({ signal: z.string(), agentPid: z.number() });
