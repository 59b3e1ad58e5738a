/**
 * Claude Code's status-line command, as crewmux installs it in an agent's settings (`statusLine`): run by
 * Claude Code with `process.execPath` and one argument, the file to record into (in the agent's crewmux state
 * dir). It reads the status JSON on stdin and appends the parts crewmux uses (the session, the model,
 * `cost.total_cost_usd` and the subscription's `rate_limits`) as one JSON line to that file (0600), unless
 * they equal the last line it wrote; it prints a short status text. It never fails Claude's status line: any
 * error leaves the file as it was. It imports nothing from crewmux, so it starts fast.
 */
import { appendFileSync, closeSync, fstatSync, openSync, readSync } from 'node:fs';

function lastLine(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 8192);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').filter(Boolean);
    return lines.at(-1) ?? '';
  } finally {
    closeSync(fd);
  }
}

function main(): void {
  const out = process.argv[2];
  const chunks: Buffer[] = [];
  process.stdin.on('data', (c: Buffer) => chunks.push(c));
  process.stdin.on('end', () => {
    let text = 'crewmux';
    try {
      const j = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const model = (j.model ?? {}) as Record<string, unknown>;
      const cost = (j.cost ?? {}) as Record<string, unknown>;
      const record = JSON.stringify({
        session: typeof j.session_id === 'string' ? j.session_id : '',
        model: typeof model.id === 'string' ? model.id : '',
        costUsd: typeof cost.total_cost_usd === 'number' ? cost.total_cost_usd : null,
        rateLimits: j.rate_limits && typeof j.rate_limits === 'object' ? j.rate_limits : null,
      });
      if (out && lastLine(out) !== record) appendFileSync(out, record + '\n', { mode: 0o600 });
      if (typeof model.display_name === 'string') text = `crewmux · ${model.display_name}`;
    } catch {
      // Not JSON, or the file cannot be written: the status line still shows.
    }
    process.stdout.write(text + '\n');
  });
}

main();
