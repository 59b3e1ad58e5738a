/**
 * The `nodes` key of the global config.json (`<config dir>/config.json`), read and rewritten for `crewmux node
 * add|remove`. The rest of the file is kept as it is (keys and values; the layout becomes two-space JSON), the
 * whole file is validated before it is written, and it is written atomically, 0600, never through a symlink.
 */
import { join } from 'node:path';
import { readIfExists, writeFileAtomic } from '../system/files.js';
import { UserError } from '../../core/errors.js';
import { ConfigSchema, describeConfigError } from '../../core/session/config-schema.js';
import type { NodesConfig } from '../../core/nodes/node-config.js';
import type { NodesConfigStore } from '../../app/ports/nodes.js';

function readObject(file: string): Record<string, unknown> {
  const text = readIfExists(file);
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError('E_CONFIG_UNREADABLE', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new UserError('E_CONFIG_INVALID', `${file}: (top level): expected an object`);
  return json as Record<string, unknown>;
}

function validate(file: string, obj: Record<string, unknown>): NodesConfig | undefined {
  const parsed = ConfigSchema.safeParse(obj);
  if (!parsed.success) throw new UserError('E_CONFIG_INVALID', `${file}: ${describeConfigError(parsed.error)}`);
  return parsed.data.nodes;
}

/** The NodesConfigStore of the global config in `configDir`. */
export function createNodesConfigFile(configDir: string): NodesConfigStore {
  const file = join(configDir, 'config.json');
  return {
    read: () => validate(file, readObject(file)),
    write(nodes) {
      const obj = readObject(file);
      if (Object.keys(nodes).length === 0) delete obj.nodes;
      else obj.nodes = nodes;
      validate(file, obj);
      writeFileAtomic(file, JSON.stringify(obj, null, 2) + '\n', 0o600);
    },
  };
}
