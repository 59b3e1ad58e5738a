/** Loopback networking checks. */
import { createServer } from 'node:net';

/** Binds 127.0.0.1:0 and releases it; resolves to the port the OS gave. */
export function probeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
