// A TCP proxy in front of `tributary broker` that splits the byte streams of each connection into
// Kafka frames (a 4-byte size, then the frame) in both directions and lets a test decide, per frame,
// what happens to it: a process cut off from the cluster (a long GC pause, a network partition)
// without stopping it, an answer lost after the broker acted on the request. The broker advertises
// the proxy's address, so every request of every client goes through it (brokerBehindProxy).
//
// Requests are told apart by api key and client id (Kafka request headers v1/v2: api key, api
// version, correlation id, then the client id as a non-compact nullable string); an answer is matched
// to its request by correlation id.
import { after, before } from 'node:test';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { startTestBroker, tempDir } from '../../broker/helpers.js';

export interface RequestFrame {
  readonly apiKey: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

export interface ResponseFrame {
  readonly correlationId: number;
  /** The api key of the request it answers. */
  readonly apiKey: number;
}

export interface ProxyHooks {
  /**
   * Whether to hold a request for now. A held request and everything after it on its connection
   * wait (a broker answers a connection's requests in order) until `release()` finds the hook lets
   * it through. Default: nothing is held.
   */
  hold?(request: RequestFrame): boolean;
  /** Called for every request forwarded to the broker. */
  forwarded?(request: RequestFrame): void;
  /** 'cut' drops the answer and closes the client's connection (the answer is lost). Default: 'forward'. */
  answer?(response: ResponseFrame): 'forward' | 'cut';
}

export interface KafkaProxy {
  /** The port it listens on (127.0.0.1). */
  readonly listening: Promise<number>;
  /** Where to forward: the broker's real port. */
  setTarget(port: number): void;
  /** Replaces hooks (those given are replaced, the others kept) and forwards what `hold` lets through now. */
  setHooks(hooks: ProxyHooks): void;
  close(): Promise<void>;
}

/** Calls `onFrame` with every complete frame in `stream`'s data, in order. */
function frames(stream: Socket, onFrame: (frame: Buffer) => boolean | void): void {
  let buffered: Buffer = Buffer.alloc(0);
  stream.on('data', (d: Buffer) => {
    buffered = buffered.length === 0 ? d : Buffer.concat([buffered, d]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const frame = buffered.subarray(0, 4 + buffered.readInt32BE(0));
      buffered = buffered.subarray(frame.length);
      if (onFrame(frame) === false) return;
    }
  });
}

function requestOf(frame: Buffer): RequestFrame {
  const length = frame.readInt16BE(12);
  return {
    apiKey: frame.readInt16BE(4),
    correlationId: frame.readInt32BE(8),
    clientId: length < 0 ? null : frame.toString('utf8', 14, 14 + length),
  };
}

export function kafkaProxy(initial: ProxyHooks = {}): KafkaProxy {
  let target = 0;
  const hooks: ProxyHooks = { ...initial };
  const pumps = new Set<() => void>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client: Socket) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    sockets.add(client).add(upstream);
    const queue: Array<{ frame: Buffer; request: RequestFrame }> = [];
    /** Api key of each forwarded request by correlation id, to tell what an answer answers. */
    const apiKeys = new Map<number, number>();
    const pump = (): void => {
      while (queue.length > 0) {
        const { frame, request } = queue[0]!;
        if (hooks.hold?.(request)) return;
        queue.shift();
        apiKeys.set(request.correlationId, request.apiKey);
        upstream.write(frame);
        hooks.forwarded?.(request);
      }
    };
    pumps.add(pump);
    frames(client, (frame) => {
      queue.push({ frame, request: requestOf(frame) });
      pump();
    });
    frames(upstream, (frame) => {
      const correlationId = frame.readInt32BE(4);
      const apiKey = apiKeys.get(correlationId) ?? -1;
      apiKeys.delete(correlationId);
      if (hooks.answer?.({ correlationId, apiKey }) === 'cut') {
        end();
        return false;
      }
      client.write(frame);
      return true;
    });
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
    setHooks(next) {
      Object.assign(hooks, next);
      for (const pump of [...pumps]) pump();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A describe block's `tributary broker` behind a proxy: started in `before` (advertising the
 * proxy's port), stopped with the proxy and its data directory in `after`. Read `bootstrap` in tests.
 */
export function brokerBehindProxy(dirPrefix: string, hooks: ProxyHooks = {}): { readonly proxy: KafkaProxy; readonly bootstrap: string } {
  const proxy = kafkaProxy(hooks);
  const dir = tempDir(dirPrefix);
  let broker: Awaited<ReturnType<typeof startTestBroker>> | undefined;
  let bootstrap = '';
  before(async () => {
    const port = await proxy.listening;
    broker = await startTestBroker(dir.dir, { advertisedPort: port });
    proxy.setTarget(broker.port);
    bootstrap = `127.0.0.1:${port}`;
  });
  after(async () => {
    await broker?.close();
    await proxy.close();
    dir.cleanup();
  });
  return {
    proxy,
    get bootstrap() {
      return bootstrap;
    },
  };
}
