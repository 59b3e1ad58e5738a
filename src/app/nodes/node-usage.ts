/**
 * Node workers' usage (docs/architecture.md "Worker nodes: bootstrap and usage"): the usage files an agent writes in
 * its state dir on the node (the ACP pane process's `acp-usage.jsonl`, Claude Code's transcripts below its
 * crewmux-owned CLAUDE_CONFIG_DIR and its status-line record) are mirrored, complete lines only, into the worker's
 * state dir on this host, where app/usage/collect.ts reads them as it reads a local worker's. The node serves them
 * (`usage.read`, serve-bootstrap.ts) from the offsets the mirror has, so each line crosses once. Agents whose usage
 * lives under the node user's HOME (Codex rollouts, Gemini/Qwen chats, Copilot events, OpenCode's database) or in
 * the pane log are not collected from nodes.
 */
import { join, relative } from 'node:path';
import { ACP_USAGE_FILE } from '../../core/acp/usage.js';
import { CLAUDE_STATUS_LINE_FILE } from '../../core/agents/profiles/claude.js';
import { isNodeUsageFile, type UsageReadParams } from '../../core/nodes/bootstrap-protocol.js';
import { nodeWorkerId } from '../../core/nodes/protocol.js';
import { appendText, fileSize, listFilesBelow } from '../../adapters/system/files.js';
import { workerDir, type Runtime } from '../runtime.js';
import { isNodeRuntime, LOCAL_RUNTIME, runtimeByName, runtimeNameOf } from '../workers/worker-runtimes.js';
import type { NodeRuntime } from './node-runtime.js';

/** The usage files (relative to `stateDir`) a worker's state dir holds now, with their sizes. */
export function nodeUsageFiles(stateDir: string): { path: string; size: number }[] {
  const top = [ACP_USAGE_FILE, CLAUDE_STATUS_LINE_FILE].map((f) => ({ path: f, size: fileSize(join(stateDir, f)) }));
  const below = listFilesBelow(join(stateDir, 'claude-config', 'projects'), '.jsonl').map((f) => ({
    path: relative(stateDir, f.path),
    size: f.size,
  }));
  return [...top.filter((f) => f.size > 0), ...below].filter((f) => isNodeUsageFile(f.path));
}

/**
 * Brings the new usage lines of every node worker of `rt`'s session into its state dir here (one `usage.read` per
 * node, the nodes asked at once); resolves with the bytes added. A node that does not answer is skipped (the next
 * pass asks again); a chunk that does not start where the mirror ends is dropped (the next pass asks from there).
 */
export async function syncNodeUsage(rt: Runtime): Promise<number> {
  const byNode = new Map<NodeRuntime, string[]>();
  for (const w of rt.store.listWorkers(rt.sid)) {
    const name = runtimeNameOf(rt, w);
    if (name === LOCAL_RUNTIME) continue;
    let r;
    try {
      r = runtimeByName(rt, name);
    } catch {
      continue;
    }
    if (!isNodeRuntime(r)) continue;
    byNode.set(r, [...(byNode.get(r) ?? []), w.id]);
  }
  const added = await Promise.all(
    [...byNode].map(async ([node, ids]) => {
      const params: UsageReadParams = {
        workers: ids.map((id) => ({
          id: nodeWorkerId(rt.sid, id),
          offsets: Object.fromEntries(nodeUsageFiles(workerDir(rt, id)).map((f) => [f.path, f.size])),
        })),
      };
      const answer = await node.readUsage(params).catch(() => undefined);
      let bytes = 0;
      for (const w of answer?.workers ?? []) {
        const id = w.id.split('/')[1];
        if (!id || !ids.includes(id)) continue;
        for (const c of w.chunks) {
          const file = join(workerDir(rt, id), c.path);
          if (fileSize(file) !== c.from) continue;
          appendText(file, c.text);
          bytes += Buffer.byteLength(c.text);
        }
      }
      return bytes;
    }),
  );
  return added.reduce((a, b) => a + b, 0);
}
