/**
 * buildDashboard(deps) -> FastifyInstance: the dashboard over the state database, read-only but for a person's
 * answers and merge approvals. It does not listen; the caller does (127.0.0.1 only), and tests use inject(). Closing it ends open SSE streams.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Store } from '../app/ports/store.js';
import type { StatsStore } from '../app/ports/stats.js';
import type { Git } from '../app/ports/git.js';
import type { Tmux } from '../app/ports/tmux.js';
import {
  createSessionDetailCache,
  listSessionViews,
  sessionDetail,
  workerDiff,
  workerOutput,
  leadOutput,
  workerViews,
} from '../app/observe/dashboard-views.js';
import { collectMetrics } from '../app/observe/metrics.js';
import { renderPrometheus } from '../core/observe/prometheus.js';
import * as S from '../app/observe/dashboard-schemas.js';
import { z } from 'zod';
import { createApiRouter, openApiDocument } from './api-route.js';
import { createGuard, SECURITY_HEADERS } from './security.js';
import { registerEventsRoute } from './events-route.js';
import { registerQuestionRoutes } from './questions-route.js';
import { registerReviewRoutes } from './review-route.js';
import { APPROVAL_MERGE_WAIT_MS } from '../app/review/approval-human.js';
import { registerStaticRoutes, type StaticReader } from './static-routes.js';

export interface DashboardDeps {
  store: Store;
  stats: StatsStore;
  git: Git;
  /** tmux on a session's socket (null: the default server), for output tails. */
  tmuxFor(socket: string | null): Tmux;
  /** The secret every request must carry; URL-safe characters only. */
  token: string;
  /** Event log poll interval for SSE in milliseconds (default 150). */
  pollMs?: number;
  heartbeatMs?: number;
  /** Memoize /api/sessions/:id until the database changes (default true; the bench turns it off to compare). */
  detailCache?: boolean;
  /** Reads index.html, app.js and style.css (compose/dashboard-static.ts reads the package's src/dashboard/static). */
  readStatic: StaticReader;
  /** crewmux's version for the OpenAPI document. */
  version: string;
  /** How long Approve waits for the live supervisor's merge before it answers "merging" (default 20 s). */
  approvalWaitMs?: number;
}

/** Builds the app with every route registered; throws when the static files are missing. */
export function buildDashboard(d: DashboardDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024, forceCloseConnections: true, return503OnClosing: true });
  const listeningPort = () => {
    const a = app.server.address();
    return a && typeof a === 'object' ? a.port : undefined;
  };
  app.addHook('onRequest', createGuard({ token: d.token, listeningPort }));
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    return payload;
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not_found', message: 'No such route.' }));
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    reply.code(code).send({ error: code === 500 ? 'internal' : 'bad_request', message: err.message });
  });

  const detail =
    d.detailCache === false
      ? (id: string) => sessionDetail(d.store, d.stats, id)
      : createSessionDetailCache(d.store, d.stats);
  const api = createApiRouter(app);
  api.get(
    { url: '/healthz', summary: 'Liveness, and how many sessions the state database holds.', response: S.Health },
    () => ({ ok: true as const, sessions: d.store.listSessions().length }),
  );
  api.get({ url: '/api/sessions', summary: 'Every session, newest first.', response: S.SessionList }, () => ({
    sessions: listSessionViews(d.store, d.stats),
  }));
  api.get(
    {
      url: '/api/sessions/:id',
      summary: 'One session: its workers, verify results and report.',
      params: S.SessionIdParams,
      response: S.SessionDetail,
    },
    ({ params }) => detail(params.id),
  );
  api.get(
    {
      url: '/api/sessions/:id/workers',
      summary: "The session's workers with state, notes and conflict radar.",
      params: S.SessionIdParams,
      response: S.WorkerList,
    },
    ({ params }) => {
      const w = workerViews(d.store, params.id);
      return w && { workers: w };
    },
  );
  api.get(
    {
      url: '/api/sessions/:id/workers/:wid/output',
      summary: "The tail of a worker's terminal (tmux pane, else its pane log), escapes removed.",
      params: S.WorkerParams,
      query: S.OutputQuery,
      response: S.WorkerOutput,
    },
    ({ params, query }) => workerOutput(d.store, d.tmuxFor, params.id, params.wid, query.lines),
  );
  api.get(
    {
      url: '/api/sessions/:id/lead/output',
      summary: "The tail of the lead's terminal (pane 0 of the lead window, else its pane log), escapes removed.",
      params: S.SessionIdParams,
      query: S.OutputQuery,
      response: S.LeadOutput,
    },
    ({ params, query }) => leadOutput(d.store, d.tmuxFor, params.id, query.lines),
  );
  api.get(
    {
      url: '/api/sessions/:id/workers/:wid/diff',
      summary: "The worker's branch against its base commit (three-dot): stat and patch.",
      params: S.WorkerParams,
      response: S.WorkerDiff,
    },
    ({ params }) => workerDiff(d.store, d.git, params.id, params.wid),
  );
  api.get(
    {
      url: '/metrics',
      summary: 'Prometheus metrics: sessions, workers by state, spawns, merges, verifies, MCP calls and latency.',
      response: z.string(),
      produces: 'text/plain; version=0.0.4; charset=utf-8',
    },
    () => renderPrometheus(collectMetrics(d.stats, d.store.usage())),
  );
  registerEventsRoute(app, { store: d.store, pollMs: d.pollMs, heartbeatMs: d.heartbeatMs });
  registerQuestionRoutes(app, api, { store: d.store, now: Date.now });
  registerReviewRoutes(app, api, {
    store: d.store,
    now: Date.now,
    approvalWaitMs: d.approvalWaitMs ?? APPROVAL_MERGE_WAIT_MS,
  });

  const doc = openApiDocument(
    api.specs,
    [
      {
        url: '/api/sessions/:id/events',
        summary: 'The event log as Server-Sent Events; resumes after Last-Event-ID or ?after=N.',
        produces: 'text/event-stream',
        params: S.SessionIdParams,
        query: S.EventsQuery,
      },
      { url: '/', summary: 'The dashboard page.', produces: 'text/html' },
    ],
    d.version,
  );
  app.get('/api/docs', async (_req, reply) => reply.type('application/json; charset=utf-8').send(doc));
  registerStaticRoutes(app, d.readStatic, d.token);
  return app;
}
