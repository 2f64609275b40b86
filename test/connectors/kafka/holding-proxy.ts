// A TCP proxy in front of `tributary broker` (advertised as the proxy's address, so every request
// of every client goes through it) that can hold one client's requests: a process cut off from the
// cluster (a long GC pause, a network partition) without stopping it. Requests are told apart by the
// client id in their header (Kafka request headers v1/v2: api key, api version, correlation id, then
// client id as a non-compact nullable string). A held request and everything after it on its
// connection wait (a broker answers a connection's requests in order) until the hold is lifted.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Whether to hold a request (its client id and API key) for now. */
export type HoldRule = (clientId: string | null, apiKey: number) => boolean;

export interface HoldingProxy {
  /** The port it listens on (127.0.0.1). */
  readonly listening: Promise<number>;
  /** Where to forward: the broker's real port. */
  setTarget(port: number): void;
  /** Replaces the rule and forwards what the new one lets through. */
  hold(rule: HoldRule): void;
  /** Calls `listener` for every request forwarded (after the hold let it through). */
  onForward(listener: (clientId: string | null, apiKey: number) => void): void;
  close(): Promise<void>;
}

const NOTHING: HoldRule = () => false;

function headerOf(frame: Buffer): { apiKey: number; clientId: string | null } {
  const apiKey = frame.readInt16BE(4);
  const length = frame.readInt16BE(12);
  return { apiKey, clientId: length < 0 ? null : frame.toString('utf8', 14, 14 + length) };
}

export function holdingProxy(): HoldingProxy {
  let target = 0;
  let rule = NOTHING;
  const listeners: Array<(clientId: string | null, apiKey: number) => void> = [];
  const pumps = new Set<() => void>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client: Socket) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    sockets.add(client).add(upstream);
    let buffered = Buffer.alloc(0);
    const queue: Buffer[] = [];
    const pump = (): void => {
      while (queue.length > 0) {
        const { apiKey, clientId } = headerOf(queue[0]!);
        if (rule(clientId, apiKey)) return;
        upstream.write(queue.shift()!);
        for (const l of listeners) l(clientId, apiKey);
      }
    };
    pumps.add(pump);
    client.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0);
        queue.push(buffered.subarray(0, 4 + size));
        buffered = buffered.subarray(4 + size);
      }
      pump();
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    const end = (): void => {
      pumps.delete(pump);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  const listening = new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return {
    listening,
    setTarget: (port) => (target = port),
    hold(next) {
      rule = next;
      for (const pump of [...pumps]) pump();
    },
    onForward: (listener) => void listeners.push(listener),
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
