/** MCP tool-call statistics: the latency histogram's buckets and the shapes counted per tool. */

/** Upper bounds (ms) of the MCP latency histogram buckets; +Inf is implied. */
export const TOOL_LATENCY_BUCKETS_MS = [
  5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000,
] as const;

/** One tool's totals: calls, errors, summed latency, and per-bucket (non-cumulative) counts. */
export interface ToolStat {
  tool: string;
  calls: number;
  errors: number;
  total_ms: number;
  buckets: number[];
}

/** One tool's calls since the last flush: counts and per-bucket (non-cumulative) latency counts. */
export interface ToolStatDelta {
  calls: number;
  errors: number;
  totalMs: number;
  /** One count per TOOL_LATENCY_BUCKETS_MS entry plus one for +Inf. */
  buckets: number[];
}
