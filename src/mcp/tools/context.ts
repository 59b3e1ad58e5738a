/** Lead tools that keep the lead's context small: compact_session. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { compactSession, type CompactOutcome } from '../../app/compaction.js';
import { defineTool, textResult } from '../define-tool.js';
import type { ToolDeps } from '../build-server.js';

function line(o: CompactOutcome): string {
  if (o.action === 'short') return `${o.workerId}: left as is (${o.fullChars} chars, already short)`;
  if (o.action === 'unchanged') return `${o.workerId}: already compacted`;
  const by = o.method === 'router' ? `summarised by the router (${o.note})` : o.note;
  return `${o.workerId}: ${o.fullChars} → ${o.digestChars} chars, ${by}`;
}

export function registerContextTools(server: McpServer, d: ToolDeps): void {
  const { rt } = d;
  defineTool(server, d.stats, 'compact_session', "Replace finished workers' long summaries and outputs with short digests in list_workers, read_worker_output and the resume recap; the full text stays in the event log.", {}, async () => {
    const outcomes = await compactSession(rt);
    if (!outcomes.length) return textResult('No finished workers to compact yet.', { workers: [] });
    const truncated = outcomes.some((o) => o.method === 'truncation');
    const head = truncated ? 'Compacted (no router answered, so plain truncation was used where noted):' : 'Compacted:';
    return textResult([head, ...outcomes.map(line)].join('\n'), { workers: outcomes });
  });
}
