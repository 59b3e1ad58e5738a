/** Where crewmux's Claude Code question hook is: this node and the hook script shipped in the package. */
import { fileURLToPath } from 'node:url';

/** argv of the ask hook (src/mcp/ask-hook.ts, built): the running node (process.execPath) and the script's path. */
export function askHookArgv(): string[] {
  return [process.execPath, fileURLToPath(new URL('../../mcp/ask-hook.js', import.meta.url))];
}
