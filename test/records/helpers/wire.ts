import { connect, type Socket } from 'node:net';

/**
 * A bare Kafka wire client for tests: sends request frames and hands back whole response frames
 * (size prefix included), matched by correlation id. Only what the records tests need to put our
 * own batches in front of a real broker, without the protocol layer.
 */
export class WireClient {
  #socket: Socket;
  #buffered = Buffer.alloc(0);
  #waiting = new Map<number, (frame: Buffer) => void>();
  #nextCorrelation = 1;
  #failed: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (e) => {
      this.#failed = e;
    });
  }

  static connect(host: string, port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => {
        s.removeListener('error', reject);
        resolve(new WireClient(s));
      });
      s.once('error', reject);
    });
  }

  #onData(chunk: Buffer): void {
    this.#buffered = Buffer.concat([this.#buffered, chunk]);
    while (this.#buffered.length >= 8) {
      const size = this.#buffered.readInt32BE(0);
      if (this.#buffered.length < 4 + size) return;
      const frame = this.#buffered.subarray(0, 4 + size);
      this.#buffered = this.#buffered.subarray(4 + size);
      const corr = frame.readInt32BE(4);
      const done = this.#waiting.get(corr);
      this.#waiting.delete(corr);
      done?.(Buffer.from(frame));
    }
  }

  /** Sends apiKey/apiVersion with request header v1 and `body`; resolves to the whole response frame. */
  request(apiKey: number, apiVersion: number, body: Buffer, timeoutMs = 30_000): Promise<Buffer> {
    if (this.#failed) return Promise.reject(this.#failed);
    const corr = this.#nextCorrelation++;
    const clientId = Buffer.from('tributary-records-test');
    const head = Buffer.alloc(4 + 2 + 2 + 4 + 2);
    head.writeInt32BE(head.length - 4 + clientId.length + body.length, 0);
    head.writeInt16BE(apiKey, 4);
    head.writeInt16BE(apiVersion, 6);
    head.writeInt32BE(corr, 8);
    head.writeInt16BE(clientId.length, 12);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(corr);
        reject(new Error(`no response to api ${apiKey} v${apiVersion} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(corr, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
      this.#socket.write(Buffer.concat([head, clientId, body]));
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

function str(s: string): Buffer {
  const b = Buffer.from(s);
  const out = Buffer.alloc(2 + b.length);
  out.writeInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

/** Produce v7 body for one partition, acks=all. */
export function produceV7Body(topic: string, partition: number, records: Buffer): Buffer {
  const head = Buffer.alloc(2 + 2 + 4);
  head.writeInt16BE(-1, 0); // transactional_id: null
  head.writeInt16BE(-1, 2); // acks: all
  head.writeInt32BE(30_000, 4);
  return Buffer.concat([head, i32(1), str(topic), i32(1), i32(partition), i32(records.length), records]);
}

/** Error code and base offset of the one partition of a Produce v7 response frame. */
export function parseProduceV7Response(frame: Buffer): { errorCode: number; baseOffset: bigint } {
  let p = 8; // size, correlation id
  if (frame.readInt32BE(p) !== 1) throw new Error('expected one topic');
  p += 4;
  p += 2 + frame.readInt16BE(p);
  if (frame.readInt32BE(p) !== 1) throw new Error('expected one partition');
  p += 4 + 4;
  return { errorCode: frame.readInt16BE(p), baseOffset: frame.readBigInt64BE(p + 2) };
}

/** Fetch v11 body for one partition from `offset`; isolation 0 = read uncommitted (markers included). */
export function fetchV11Body(topic: string, partition: number, offset: bigint, maxBytes = 1 << 20): Buffer {
  const head = Buffer.alloc(4 + 4 + 4 + 4 + 1 + 4 + 4);
  head.writeInt32BE(-1, 0); // replica id
  head.writeInt32BE(500, 4); // max wait
  head.writeInt32BE(1, 8); // min bytes
  head.writeInt32BE(maxBytes, 12);
  head.writeInt8(0, 16); // isolation: read uncommitted
  head.writeInt32BE(0, 17); // session id
  head.writeInt32BE(-1, 21); // session epoch: no session
  const part = Buffer.alloc(4 + 4 + 8 + 8 + 4);
  part.writeInt32BE(partition, 0);
  part.writeInt32BE(-1, 4); // current leader epoch
  part.writeBigInt64BE(offset, 8);
  part.writeBigInt64BE(-1n, 16); // log start offset
  part.writeInt32BE(maxBytes, 24);
  return Buffer.concat([head, i32(1), str(topic), i32(1), part, i32(0), str('')]);
}
