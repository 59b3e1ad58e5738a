#!/usr/bin/env node
// Worker agent for `npm run bench`. BENCH_MODE: idle (never finishes), flag or mcp (finish after 300 ms,
// recording the wall-clock time just before signalling in done-at.txt beside the prompt file).
import { writeFileSync, renameSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connectCrewmux } from '../../dist/src/demo/mcp-client.js';

const mode = process.env.BENCH_MODE ?? 'idle';
const dir = dirname(process.env.CREWMUX_PROMPT_FILE);
writeFileSync(join(dir, 'started-at.txt'), `${Date.now()}\n`);
if (mode === 'idle') setInterval(() => {}, 1 << 30);
else {
  const client =
    mode === 'mcp'
      ? await connectCrewmux(process.env.CREWMUX_MCP_URL, process.env.CREWMUX_MCP_TOKEN, 'bench-worker')
      : undefined;
  const nonce = /<nonce> is ([0-9a-f]{12})/.exec(readFileSync(process.env.CREWMUX_PROMPT_FILE, 'utf8'))[1];
  setTimeout(async () => {
    const at = Date.now();
    writeFileSync(join(dir, 'done-at.txt'), `${at}\n`);
    if (mode === 'flag') {
      const flag = process.env.CREWMUX_DONE_FILE;
      writeFileSync(`${flag}.tmp`, JSON.stringify({ nonce, status: 'done', summary: 'bench' }));
      renameSync(`${flag}.tmp`, flag);
    } else {
      await client.call('worker_done', { status: 'done', summary: 'bench' });
    }
    setInterval(() => {}, 1 << 30);
  }, 300);
}
