import net from 'node:net';
import { decode, encodeCommand, type RespValue } from './resp.js';

/**
 * A bare RESP connection for tests that must see the exact bytes the server sends:
 * send commands or raw bytes, read whole replies (raw or decoded), see the close.
 */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private waitForData(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms; have ${JSON.stringify(this.buf.latin1Slice(0, this.buf.length))}`)), timeoutMs);
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
      const result = decode(this.buf);
      if (result !== null) {
        const raw = this.buf.latin1Slice(0, result.end);
        this.buf = this.buf.subarray(result.end);
        return raw;
      }
      if (this.closed) throw new Error('connection closed');
      await this.waitForData(timeoutMs);
    }
  }

  async read(timeoutMs = 5000): Promise<RespValue> {
    for (;;) {
      const result = decode(this.buf);
      if (result !== null) {
        this.buf = this.buf.subarray(result.end);
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
    return this.buf.latin1Slice(0, this.buf.length);
  }

  close(): void {
    this.socket.destroy();
  }
}
