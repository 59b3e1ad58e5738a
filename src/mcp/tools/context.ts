/** Lead tools that keep the lead's context small and its results fresh: compact_session, clear_tool_results. */
import { compactSession, type CompactOutcome } from '../../app/llm/compaction.js';
import { forgetVerifyResults } from '../../app/integration/verify.js';
import { defineTool, textResult, type ToolServer } from '../define-tool.js';
import type { ToolDeps } from '../build-server.js';

function line(o: CompactOutcome): string {
  if (o.action === 'short') return `${o.workerId}: left as is (${o.fullChars} chars, already short)`;
  if (o.action === 'unchanged') return `${o.workerId}: already compacted`;
  const by = o.method === 'router' ? `summarised by the router (${o.note})` : o.note;
  return `${o.workerId}: ${o.fullChars} → ${o.digestChars} chars, ${by}`;
}

export function registerContextTools(server: ToolServer, d: ToolDeps): void {
  const { rt } = d;
  defineTool(
    server,
    d.stats,
    'compact_session',
    "Replace finished workers' long summaries and outputs with short digests in list_workers, read_worker_output and the resume recap; the full text stays in the event log.",
    {},
    async () => {
      const outcomes = await compactSession(rt);
      if (!outcomes.length) return textResult('No finished workers to compact yet.', { workers: [] });
      const truncated = outcomes.some((o) => o.method === 'truncation');
      const head = truncated
        ? 'Compacted (no router answered, so plain truncation was used where noted):'
        : 'Compacted:';
      return textResult([head, ...outcomes.map(line)].join('\n'), { workers: outcomes });
    },
  );

  defineTool(
    server,
    d.stats,
    'clear_tool_results',
    'Forget cached tool results: web_research answers, and finished verify results, so the next calls search and verify afresh.',
    {},
    async () => {
      const answers = d.research?.clearCache() ?? 0;
      const verifies = forgetVerifyResults(rt);
      rt.events.emit(
        'tools.cleared',
        `tool results cleared: ${answers} cached web_research answer(s), ${verifies} verify result(s) no longer reused`,
      );
      return textResult(
        `Cleared ${answers} cached web_research answer(s). ${verifies} finished verify result(s) will not be reused: the next verify runs again, even on an unchanged head.`,
        { researchAnswers: answers, verifyResults: verifies },
      );
    },
  );
}
