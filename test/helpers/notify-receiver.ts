/** A webhook receiver on 127.0.0.1 for notification tests: records every request's path, headers and body. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { ROOT } from './env.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  /** `http://127.0.0.1:PORT`. */
  base: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/** Starts a receiver that answers `status` (default 200) to every request. */
export async function startReceiver(status = 200): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((r) => srv.close(() => r())),
  };
}

/** The directory holding the fixture `notify-send` (it appends its argv as JSON lines to $NOTIFY_SEND_LOG). */
export const NOTIFY_BIN = join(ROOT, 'test', 'fixtures', 'notify-bin');
