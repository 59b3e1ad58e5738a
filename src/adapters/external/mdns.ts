/**
 * mDNS (bonjour-service) restricted to loopback: adverts and browsing use the 127.0.0.1 interface, and
 * the UDP socket is bound to the mDNS group address rather than a unicast interface, so nothing
 * listens on the network (crewmux never binds to anything but loopback). Errors are reported, never
 * thrown from callbacks.
 */
import { Bonjour, type Service } from 'bonjour-service';

export interface MdnsOptions {
  /** Interface address for membership and sending; default 127.0.0.1. */
  interfaceAddress?: string;
  /** Called with socket errors (e.g. multicast unavailable); default ignores them. */
  onError?: (err: Error) => void;
}

export interface MdnsService {
  name: string;
  type: string;
  port: number;
  host: string;
  txt: Record<string, string>;
}

export interface MdnsAdvert {
  /** Sends a goodbye (TTL 0) and closes the socket; resolves within `timeoutMs` (default 1 000) regardless. */
  close(timeoutMs?: number): Promise<void>;
}

const MDNS_GROUP = '224.0.0.251';

function open(opts: MdnsOptions): Bonjour {
  const onError = (e: unknown) => opts.onError?.(e instanceof Error ? e : new Error(String(e)));
  const b = new Bonjour({ interface: opts.interfaceAddress ?? '127.0.0.1', bind: MDNS_GROUP } as never, onError);
  const server = (b as unknown as { server: { mdns: NodeJS.EventEmitter } }).server;
  server.mdns.on('error', onError);
  server.mdns.on('warning', () => {
    /* per-interface membership hiccups are expected */
  });
  return b;
}

function toRecord(txt: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (txt && typeof txt === 'object') {
    for (const [k, v] of Object.entries(txt)) out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}

/** Publishes service `name` of `type` (e.g. `crewmux-agent` -> `_crewmux-agent._tcp`) with `txt`. */
export function advertise(
  name: string,
  type: string,
  port: number,
  txt: Record<string, string>,
  opts: MdnsOptions = {},
): MdnsAdvert {
  const b = open(opts);
  const svc = b.publish({ name, type, port, txt, host: 'localhost', probe: false, disableIPv6: true });
  svc.on('error', (e: unknown) => opts.onError?.(e instanceof Error ? e : new Error(String(e))));
  let closed: Promise<void> | undefined;
  return {
    close(timeoutMs = 1_000) {
      closed ??= new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          try {
            b.destroy(() => resolve());
          } catch {
            resolve();
          }
        };
        const t = setTimeout(done, timeoutMs);
        // bonjour-service types stop() as taking a bare Function; it calls back once the goodbye is sent.
        try {
          (svc.stop as ((cb: () => void) => void) | undefined)?.(done);
        } catch {
          done();
        }
      });
      return closed;
    },
  };
}

/** Browses `type` for `durationMs` (default 500) and returns the services seen up (not since gone). */
export function browse(type: string, durationMs = 500, opts: MdnsOptions = {}): Promise<MdnsService[]> {
  return new Promise((resolve) => {
    let b: Bonjour;
    try {
      b = open(opts);
    } catch (e) {
      opts.onError?.(e as Error);
      resolve([]);
      return;
    }
    const seen = new Map<string, MdnsService>();
    const browser = b.find({ type });
    browser.on('up', (s: Service) =>
      seen.set(s.name, { name: s.name, type: s.type, port: s.port, host: s.host, txt: toRecord(s.txt) }),
    );
    browser.on('down', (s: Service) => seen.delete(s.name));
    browser.on('txt-update', (s: Service) => {
      const old = seen.get(s.name);
      if (old) old.txt = toRecord(s.txt);
    });
    setTimeout(() => {
      try {
        browser.stop();
      } catch {
        /* already stopped */
      }
      b.destroy(() => resolve([...seen.values()]));
    }, durationMs);
  });
}

/** Watches `type` until closed; `onUp`/`onDown` get each service as it comes and goes. */
export function watchServices(
  type: string,
  onUp: (s: MdnsService) => void,
  onDown: (s: MdnsService) => void,
  opts: MdnsOptions = {},
): { close(): Promise<void> } {
  const b = open(opts);
  const browser = b.find({ type });
  const conv = (s: Service): MdnsService => ({
    name: s.name,
    type: s.type,
    port: s.port,
    host: s.host,
    txt: toRecord(s.txt),
  });
  browser.on('up', (s: Service) => onUp(conv(s)));
  browser.on('down', (s: Service) => onDown(conv(s)));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        try {
          browser.stop();
        } catch {
          /* already stopped */
        }
        b.destroy(() => resolve());
      }),
  };
}
