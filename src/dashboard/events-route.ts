/**
 * GET /api/sessions/:id/events: the session's event log as Server-Sent Events. The supervisor writes
 * events in another process, so this tails SQLite every `pollMs`. Each event's SSE id is its row id,
 * so a reconnecting EventSource resumes after Last-Event-ID (or `?after=N`) without gaps or repeats.
 */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../app/ports/store.js';
import { eventViews } from '../app/observe/dashboard-views.js';
import { EventsQuery, SessionIdParams } from '../app/observe/dashboard-schemas.js';
import { SECURITY_HEADERS } from './security.js';

export interface EventsRouteOptions {
  store: Store;
  /** Milliseconds between polls of the event log (default 150). */
  pollMs?: number;
  /** Milliseconds between keep-alive comments (default 15000). */
  heartbeatMs?: number;
}

const BATCH = 500;

/** Registers the SSE route; open streams end when the app closes. */
export function registerEventsRoute(app: FastifyInstance, o: EventsRouteOptions): void {
  const open = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const end of [...open]) end();
  });

  app.get('/api/sessions/:id/events', async (req, reply) => {
    const params = SessionIdParams.safeParse(req.params);
    const query = EventsQuery.safeParse(req.query);
    const lastHeader = Number(req.headers['last-event-id']);
    if (!params.success || !query.success)
      return reply.code(400).send({ error: 'bad_request', message: 'Bad session id or `after`.' });
    if (!o.store.getSession(params.data.id))
      return reply.code(404).send({ error: 'not_found', message: 'No such session.' });
    const sid = params.data.id;
    let last = Number.isInteger(lastHeader) && lastHeader >= 0 ? lastHeader : (query.data.after ?? 0);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const end = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      clearInterval(beat);
      open.delete(end);
      res.end();
    };
    open.add(end);
    const tick = () => {
      if (closed) return;
      let full = false;
      try {
        const events = eventViews(o.store, sid, last, BATCH);
        for (const e of events) res.write(`id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`);
        if (events.length) last = events[events.length - 1]!.id;
        full = events.length === BATCH;
      } catch (e) {
        res.write(`event: error\ndata: ${JSON.stringify({ message: (e as Error).message })}\n\n`);
      }
      timer = setTimeout(tick, full ? 0 : (o.pollMs ?? 150));
    };
    const beat = setInterval(() => res.write(': keep-alive\n\n'), o.heartbeatMs ?? 15_000);
    req.raw.on('close', end);
    res.on('error', end);
    tick();
  });
}
