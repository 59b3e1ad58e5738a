/** Loopback networking checks. */
import { connect, createServer } from 'node:net';

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

/** Connects to 127.0.0.1:`port` and closes at once; resolves whether anything accepted (within 5 s). */
export function pokeLoopbackPort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const done = (reached: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(reached);
    };
    const timer = setTimeout(() => done(false), 5_000);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
