import net from 'node:net';
import { decode, encodeCommand } from './resp.js';

/**
 * A stand-in Redis master for a real redis-server started with `--replicaof 127.0.0.1 <port>`:
 * it answers the replica's handshake (PING, REPLCONF, PSYNC) with a full resynchronisation to
 * an empty dataset, then streams whatever commands the test sends, as a master's replication
 * stream. A replica applies such a stream exactly as Redis replicas do: keys never expire on
 * their own there (the master's DELs do it), so the result depends on the stream alone.
 */
export class FakeMaster {
  private replica: net.Socket | null = null;
  private input = Buffer.alloc(0);
  /** Bytes of the stream sent after the resynchronisation (the replica's offset counts them). */
  private offset = 0;
  private ackedOffset = -1;
  private ackWaiters: Array<() => void> = [];
  private resolveSynced: (() => void) | null = null;
  /** Resolves once a replica has loaded the (empty) dataset and listens for the stream. */
  readonly synced: Promise<void>;

  private constructor(private readonly server: net.Server, readonly port: number) {
    this.synced = new Promise((resolve) => {
      this.resolveSynced = resolve;
    });
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(): Promise<FakeMaster> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    if (typeof addr !== 'object' || addr === null) throw new Error('no address');
    return new FakeMaster(server, addr.port);
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.input = Buffer.concat([this.input, chunk]);
      for (;;) {
        const next = decode(this.input);
        if (next === null) break;
        this.input = this.input.subarray(next.end);
        this.handle(socket, next.value as string[]);
      }
    });
  }

  private handle(socket: net.Socket, argv: string[]): void {
    const name = (argv[0] ?? '').toLowerCase();
    const sub = (argv[1] ?? '').toLowerCase();
    if (name === 'ping') {
      socket.write('+PONG\r\n');
    } else if (name === 'replconf' && sub === 'ack') {
      this.ackedOffset = Math.max(this.ackedOffset, Number(argv[2]));
      const waiters = this.ackWaiters;
      this.ackWaiters = [];
      for (const w of waiters) w();
    } else if (name === 'replconf') {
      socket.write('+OK\r\n');
    } else if (name === 'psync' || name === 'sync') {
      // An RDB with no data: the header, the EOF opcode and a zero checksum (meaning "not
      // computed", which the loader accepts).
      const rdb = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0])]);
      socket.write(`+FULLRESYNC ${'0'.repeat(40)} 0\r\n$${rdb.length}\r\n`);
      socket.write(rdb);
      this.replica = socket;
      this.resolveSynced?.();
    } else {
      socket.write('+OK\r\n');
    }
  }

  /** Sends one command of the replication stream. */
  send(argv: readonly string[]): void {
    if (this.replica === null) throw new Error('no replica attached');
    const bytes = encodeCommand(argv);
    this.offset += bytes.length;
    this.replica.write(bytes);
  }

  /** Resolves once the replica has applied everything sent so far. */
  async sync(timeoutMs = 10_000): Promise<void> {
    const target = this.offset;
    // The replica answers GETACK with the offset it had reached before the GETACK itself.
    this.send(['REPLCONF', 'GETACK', '*']);
    const deadline = Date.now() + timeoutMs;
    while (this.ackedOffset < target) {
      if (Date.now() > deadline) throw new Error(`replica acknowledged ${this.ackedOffset} of ${target} bytes`);
      await new Promise<void>((resolve) => {
        this.ackWaiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  async close(): Promise<void> {
    this.replica?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
