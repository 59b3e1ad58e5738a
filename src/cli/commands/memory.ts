/** `crewmux memory list|search QUERY [--json]`: what memory holds, and what a worker with that task would get. */
import type { Command } from '../command.js';
import { UserError } from '../../core/errors.js';
import { MEMORY_BUDGET, openMemory, projectMemoryDir } from '../../app/llm/memory.js';
import { memoryBlock } from '../../core/llm/memory-text.js';
import { table } from '../output.js';

export const memoryCommand: Command = {
  command: 'memory <action> [query..]',
  describe: 'List memory files, or search memory as spawn_worker would for a task',
  builder: (y) =>
    y
      .positional('action', {
        choices: ['list', 'search'] as const,
        describe: 'list: every memory file; search: the sections a worker with this task would get',
      })
      .positional('query', { type: 'string', array: true, describe: 'search: the task text' })
      .option('json', { type: 'boolean', default: false }),
  async handler(a, ctx) {
    const root = (await ctx.git.repoInfo(ctx.cwd))?.root;
    const memory = openMemory(ctx.paths, root);
    try {
      if (a.action === 'list') {
        const files = memory.files();
        if (a.json) {
          ctx.out.json(files);
          return 0;
        }
        if (!files.length) {
          ctx.out.out(
            `no memory yet: write topics in ${root ? projectMemoryDir(root) : '.crewmux/memory'}/topics/*.md or ${ctx.paths.memoryDir}/topics/*.md; every session adds an episode`,
          );
          return 0;
        }
        ctx.out.out(
          table(
            ['SCOPE', 'KIND', 'BYTES', 'PATH'],
            files.map((f) => [f.scope, f.kind, String(f.size), f.path]),
          ),
        );
        return 0;
      }
      const text = ((a.query as string[] | undefined) ?? []).join(' ').trim();
      if (!text)
        throw new UserError(
          'E_BAD_FLAG',
          'crewmux memory search needs the task text to search for.',
          'Run `crewmux memory search "add a rollback for the users migration"`.',
        );
      const hits = memory.search(text, 12);
      if (a.json) {
        ctx.out.json({ hits, block: memoryBlock(hits, MEMORY_BUDGET) });
        return 0;
      }
      if (!hits.length) {
        ctx.out.out('nothing in memory matches');
        return 0;
      }
      const block = memoryBlock(hits, MEMORY_BUDGET);
      ctx.out.out(
        `a worker with this task would get ${block.used.length} section(s) (${block.text.length} of ${MEMORY_BUDGET} chars):\n\n${block.text}`,
      );
      return 0;
    } finally {
      memory.close();
    }
  },
};
