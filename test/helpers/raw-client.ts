import net from 'node:net';
import { decode, encodeCommand, type RespValue } from './resp.js';

const EMPTY = Buffer.alloc(0);

/**
 * A bare RESP connection for tests that must see the exact bytes the server sends:
 * send commands or raw bytes, read whole replies (raw or decoded), see the close.
 */
export class RawClient {
  // Received bytes are kept as the list of chunks they came in and joined only when a reply is
  // read, so that a big reply arriving in many chunks is not copied again for every chunk.
  private chunks: Buffer[] = [];
  private length = 0;
  /** Decoding failed with this many bytes: wait for twice as many (or a pause) before trying again. */
  private retryAt = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      if (this.length >= this.retryAt) this.wake();
      else this.wakeWhenIdle();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  /** `localAddress` picks the client's own address (127.0.0.2 to be a non-local loopback peer). */
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, ...(localAddress === undefined ? {} : { localAddress }) }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Tries again once the data stops flowing for a moment, whatever its size. */
  private wakeWhenIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.wake(), 2);
  }

  /** Everything received and not yet consumed, as one buffer. */
  private buffer(): Buffer {
    if (this.chunks.length === 0) return EMPTY;
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return this.chunks[0] as Buffer;
  }

  private consume(bytes: number): void {
    const rest = this.buffer().subarray(bytes);
    this.chunks = rest.length === 0 ? [] : [rest];
    this.length = rest.length;
    this.retryAt = 0;
  }

  /** The next complete reply in the buffer, or null (and when to look again). */
  private nextReply(): { value: RespValue; end: number } | null {
    const result = decode(this.buffer());
    if (result === null) this.retryAt = this.length * 2;
    return result;
  }

  private waitForData(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms; have ${JSON.stringify(this.rest().slice(0, 2000))}`)), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  send(...args: Array<string | Buffer>): void {
    this.write(encodeCommand(args));
  }

  /** The raw bytes of the next complete reply, as a latin1 string. */
  async readRaw(timeoutMs = 5000): Promise<string> {
    for (;;) {
      const result = this.nextReply();
      if (result !== null) {
        const raw = this.buffer().latin1Slice(0, result.end);
        this.consume(result.end);
        return raw;
      }
      if (this.closed) throw new Error('connection closed');
      await this.waitForData(timeoutMs);
    }
  }

  async read(timeoutMs = 5000): Promise<RespValue> {
    for (;;) {
      const result = this.nextReply();
      if (result !== null) {
        this.consume(result.end);
        return result.value;
      }
      if (this.closed) throw new Error('connection closed');
      await this.waitForData(timeoutMs);
    }
  }

  /** Sends a command and returns its raw reply. */
  async callRaw(...args: Array<string | Buffer>): Promise<string> {
    this.send(...args);
    return this.readRaw();
  }

  async call(...args: Array<string | Buffer>): Promise<RespValue> {
    this.send(...args);
    return this.read();
  }

  /** Resolves once the server has closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    while (!this.closed) await this.waitForData(timeoutMs);
  }

  /** Everything received and not yet read. */
  rest(): string {
    const buf = this.buffer();
    return buf.latin1Slice(0, buf.length);
  }

  /** Stops reading from the socket: what the server sends piles up in its output buffers. */
  pause(): void {
    this.socket.pause();
  }

  /** Reads again after pause(). */
  resume(): void {
    this.socket.resume();
  }

  close(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.socket.destroy();
  }
}
