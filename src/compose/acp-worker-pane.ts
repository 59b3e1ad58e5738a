/**
 * The ACP pane process, run in a worker's pane when its agent's workers speak ACP (core/acp/launch.ts): reads what to
 * start from CREWMUX_ACP_LAUNCH, the prompt from CREWMUX_PROMPT_FILE and crewmux's MCP coordinates from
 * CREWMUX_MCP_URL / CREWMUX_MCP_TOKEN (the pane's environment, never a command line), starts the agent with its ACP
 * flag, and runs app/workers/acp-worker.ts with the terminal in raw mode: the pane is the transcript, and what is typed
 * or pasted into it becomes the next turn. Signals go to the worker's signals file (0600), source `acp`; the model
 * calls the agent reports, when its entry says it does, to the usage file named in the launch file (0600). The agent's
 * `fs/*` requests are served from the worktree only (adapters/acp/worktree-files.ts).
 */
import { z } from 'zod';
import { appendText, readText } from '../adapters/system/files.js';
import { connectAcp } from '../adapters/acp/acp-connection.js';
import { worktreeFiles } from '../adapters/acp/worktree-files.js';
import { readPackageVersion } from '../adapters/system/package-version.js';
import { runAcpWorker } from '../app/workers/acp-worker.js';
import { ACP_LAUNCH_ENV } from '../core/acp/launch.js';
import { feedInput, newInput } from '../core/acp/input.js';

const AcpLaunchSchema = z.object({
  argv: z.array(z.string()).min(1),
  cwd: z.string(),
  signals: z.string(),
  usage: z.string().optional(),
});

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the ACP pane runs only in a crewmux worker pane`);
  return v;
}

async function main(): Promise<number> {
  const launch = AcpLaunchSchema.parse(JSON.parse(readText(required(ACP_LAUNCH_ENV))));
  const env = { ...process.env };
  delete env[ACP_LAUNCH_ENV];
  const conn = connectAcp(launch.argv, { cwd: launch.cwd, env });
  const usageFile = launch.usage;
  const worker = runAcpWorker(
    {
      conn,
      files: worktreeFiles(launch.cwd),
      print: (text) => process.stdout.write(text),
      signal(event, detail) {
        const line = { at: Date.now(), via: 'acp', event, ...detail };
        appendText(launch.signals, JSON.stringify(line) + '\n');
      },
      ...(usageFile
        ? { usage: (call) => appendText(usageFile, JSON.stringify({ ...call, ts: Date.now() }) + '\n') }
        : {}),
    },
    {
      cwd: launch.cwd,
      prompt: readText(required('CREWMUX_PROMPT_FILE')),
      mcp: { url: required('CREWMUX_MCP_URL'), token: required('CREWMUX_MCP_TOKEN') },
      version: readPackageVersion(),
    },
  );
  const stopAgent = () => worker.interrupt();
  process.on('SIGTERM', () => {
    void conn.close().then(() => process.exit(143));
  });
  process.on('SIGHUP', () => {
    void conn.close().then(() => process.exit(129));
  });
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    // Bracketed paste on: a pasted message arrives whole (core/acp/input.ts).
    process.stdout.write('\x1b[?2004h');
    const input = newInput();
    process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
      const r = feedInput(input, chunk);
      if (r.echo) process.stdout.write(r.echo);
      for (const line of r.submitted) worker.typed(line);
      if (r.interrupt) stopAgent();
    });
  }
  try {
    return await worker.done;
  } finally {
    if (process.stdin.isTTY) {
      process.stdout.write('\x1b[?2004l');
      process.stdin.setRawMode(false);
    }
    process.stdin.pause();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stdout.write(`crewmux ACP pane: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
