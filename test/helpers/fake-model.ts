/**
 * The set-up every e2e file shares that talks to the scripted fake model server (test/fakes/fake-model-server.ts):
 * one server for the file, listening on 127.0.0.1 from the file's `before` to its `after`, the PATH that finds the
 * pinned agent CLIs (agent-homes.ts agentPath) and the per-run time limit from CREWMUX_RUN_S.
 */
import { before, after } from 'node:test';
import {
  createFakeModelServer,
  type FakeModelServer,
  type FakeModelServerOptions,
} from '../fakes/fake-model-server.js';
import { agentPath } from './agent-homes.js';
import { ROOT } from './env.js';

export interface FakeModelSetup {
  /** The file's fake model server: its `url` and `requests` are there once the file's `before` ran. */
  fake: FakeModelServer;
  /** PATH for the runs: CREWMUX_AGENT_BIN_DIR, the repo's pinned `node_modules/.bin`, then the test's own PATH. */
  path: string;
  /** Seconds one run may take (its `--timeout`): CREWMUX_RUN_S, else `runS` (default 150). */
  runS: number;
}

/**
 * Creates the file's fake model server with `server` options and registers its listen (`before`) and close
 * (`after`); call it once, at the top level of a test file.
 */
export function useFakeModel(o: { server?: FakeModelServerOptions; runS?: number } = {}): FakeModelSetup {
  const fake = createFakeModelServer(o.server);
  before(async () => {
    await fake.listen();
  });
  after(async () => {
    await fake.close();
  });
  return {
    fake,
    path: agentPath(ROOT, process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'),
    runS: Number(process.env.CREWMUX_RUN_S ?? o.runS ?? 150),
  };
}
