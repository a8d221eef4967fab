/**
 * One connection sending PING after PING, each sent when the last answer came, timing each
 * round trip: how long the server kept a client waiting while it did something else (a save, a
 * rewrite, garbage collection).
 */
import net from 'node:net';

export class PingProbe {
  /** Round trips since the start or the last reset, in ms. */
  private rtts: number[] = [];
  private longest = 0;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private socket: net.Socket | null = null;

  async start(port: number): Promise<void> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    this.socket = socket;
    this.loop = this.run(socket);
  }

  private async run(socket: net.Socket): Promise<void> {
    while (!this.stopped) {
      const sent = performance.now();
      await new Promise<void>((resolve) => {
        socket.once('data', () => resolve());
        socket.write('*1\r\n$4\r\nPING\r\n');
      });
      const rtt = performance.now() - sent;
      this.rtts.push(rtt);
      if (rtt > this.longest) this.longest = rtt;
    }
  }

  /** Forgets what was seen so far: the next figures cover only what follows. */
  reset(): void {
    this.rtts = [];
    this.longest = 0;
  }

  get longestMs(): number {
    return this.longest;
  }

  /** Stops pinging; returns the round trips since the start or the last reset. */
  async stop(): Promise<number[]> {
    this.stopped = true;
    await this.loop;
    this.socket?.end();
    return this.rtts;
  }
}
