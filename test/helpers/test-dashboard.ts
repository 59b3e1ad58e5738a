/**
 * A dashboard app over a fresh state database in a test's dir, as the dashboard tests build it: real store, git and
 * tmux adapters, the packaged static files, the test token and a fast poll. `over` replaces any dependency.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { staticReader } from '../../src/compose/dashboard-static.js';
import { openStore } from '../../src/adapters/state/store.js';
import { createGit } from '../../src/adapters/git/git.js';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { buildDashboard, type DashboardDeps } from '../../src/dashboard/build-dashboard.js';
import type { TestEnv } from './env.js';

/** The token the test dashboards accept. */
export const DASHBOARD_TOKEN = 'test-token-0123456789abcdef';

export interface TestDashboard {
  store: ReturnType<typeof openStore>;
  stats: DashboardDeps['stats'];
  app: FastifyInstance;
  /** Closes the app, then the store. */
  close(): Promise<void>;
}

export function testDashboard(t: TestEnv, over: Partial<DashboardDeps> = {}): TestDashboard {
  const store = openStore(join(t.dir, 'state.db'));
  const stats = over.stats ?? store.stats();
  const app = buildDashboard({
    store,
    stats,
    git: createGit(),
    tmuxFor: (s) => createTmux({ socket: s ?? undefined, configFile: '/dev/null' }),
    token: DASHBOARD_TOKEN,
    pollMs: 20,
    readStatic: staticReader(),
    version: '0.0.0-test',
    ...over,
  });
  return {
    store,
    stats,
    app,
    close: async () => {
      await app.close();
      store.close();
    },
  };
}
