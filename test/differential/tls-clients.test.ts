/**
 * A TLS connection in its handshake is a client already, nodis against real redis-server: Redis
 * creates the client when it accepts the TCP connection, so a peer that connected to the TLS
 * port and sent nothing is listed by CLIENT LIST, counted by INFO, killable by CLIENT KILL and
 * closed by `timeout`; a failed handshake frees it, a completed one keeps it (same id).
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { freePort } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs.js';

const hasOracle = oracleAvailable();

/** A server under test: its plain port (where the observer talks) and its TLS port. */
interface Ports {
  port: number;
  tlsPort: number;
}

/** A TCP connection to the TLS port; `ended` says how it ended for the peer (FIN, reset, bytes). */
interface Peer {
  socket: net.Socket;
  ended: Promise<string>;
}

/** Every peer connected, closed at the end whatever happened (a server waits for them to stop). */
const peers: net.Socket[] = [];

function connectPeer(port: number): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    peers.push(socket);
    const ended = new Promise<string>((done) => {
      socket.on('error', (err: NodeJS.ErrnoException) => done(`error ${err.code ?? err.message}`));
      socket.on('close', () => done('closed'));
    });
    socket.once('connect', () => resolve({ socket, ended }));
    socket.once('error', reject);
  });
}

/** Waits for `condition` (checked every 50 ms, for 10 s at most); fails saying `what` when it never holds. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CLIENT LIST's line of the connection from local port `peerPort`, or undefined. */
async function lineOf(observer: RawClient, peerPort: number | undefined): Promise<string | undefined> {
  const list = String(await observer.call('CLIENT', 'LIST'));
  return list.split('\n').find((l) => l.includes(` addr=127.0.0.1:${peerPort} `));
}

/** A CLIENT LIST line without what differs between two servers or two runs. */
function masked(line: string | undefined): string | undefined {
  return line
    ?.trim()
    .replace(/^id=\d+/, 'id=<id>')
    .replace(/ addr=\S+/, ' addr=<addr>')
    .replace(/ laddr=\S+/, ' laddr=<laddr>')
    .replace(/ fd=\d+/, ' fd=<fd>')
    .replace(/ age=\d+ idle=\d+/, ' age=<age> idle=<idle>');
}

async function infoField(observer: RawClient, name: string): Promise<number> {
  const info = String(await observer.call('INFO'));
  return Number(new RegExp(`(?:^|\\n)${name}:(\\d+)`).exec(info)?.[1]);
}

/**
 * The figures of an idle client settle in the first cron visits (the reply buffer shrinks to
 * 1 KB once its peak was reset): the line is taken once they have.
 */
async function settledLine(observer: RawClient, peerPort: number | undefined): Promise<string | undefined> {
  let line: string | undefined;
  await until(async () => {
    line = await lineOf(observer, peerPort);
    return line !== undefined && line.includes(' rbs=1024 rbp=0 ');
  }, 'the idle client to settle');
  return line;
}

/** What one server shows of connections in their handshake, step by step. */
async function observe(ports: Ports, certs: TestCertificates): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {};
  const observer = await RawClient.connect(ports.port);
  const ca = readFileSync(certs.caCert);
  try {
    const connectedBefore = await infoField(observer, 'total_connections_received');
    const rejectedBefore = await infoField(observer, 'rejected_connections');
    const counters = async (): Promise<string> => {
      const total = (await infoField(observer, 'total_connections_received')) - connectedBefore;
      const rejected = (await infoField(observer, 'rejected_connections')) - rejectedBefore;
      return `connected_clients=${await infoField(observer, 'connected_clients')} total_connections_received+${total} rejected_connections+${rejected}`;
    };

    // A TCP peer of the TLS port that sent nothing, beside a plain peer that sent nothing.
    const handshaking = await connectPeer(ports.tlsPort);
    const plain = await connectPeer(ports.port);
    seen.handshakingLine = masked(await settledLine(observer, handshaking.socket.localPort));
    seen.plainLine = masked(await settledLine(observer, plain.socket.localPort));
    seen.counters = await counters();

    const handshakingId = /^id=(\d+)/.exec((await lineOf(observer, handshaking.socket.localPort)) ?? '')?.[1] ?? '';
    seen.killById = await observer.callRaw('CLIENT', 'KILL', 'ID', handshakingId);
    seen.killedPeer = await handshaking.ended;
    seen.listedAfterKill = (await lineOf(observer, handshaking.socket.localPort)) !== undefined;
    seen.countersAfterKill = await counters();

    const byAddr = await connectPeer(ports.tlsPort);
    await until(async () => (await lineOf(observer, byAddr.socket.localPort)) !== undefined, 'the peer to be listed');
    seen.killByAddr = await observer.callRaw('CLIENT', 'KILL', 'ADDR', `127.0.0.1:${byAddr.socket.localPort}`);
    seen.killedByAddr = await byAddr.ended;

    const byLaddr = await connectPeer(ports.tlsPort);
    await until(async () => (await lineOf(observer, byLaddr.socket.localPort)) !== undefined, 'the peer to be listed');
    seen.killByLaddr = await observer.callRaw('CLIENT', 'KILL', 'LADDR', `127.0.0.1:${ports.tlsPort}`);
    seen.killedByLaddr = await byLaddr.ended;

    const oldStyle = await connectPeer(ports.tlsPort);
    await until(async () => (await lineOf(observer, oldStyle.socket.localPort)) !== undefined, 'the peer to be listed');
    seen.killOldStyle = await observer.callRaw('CLIENT', 'KILL', `127.0.0.1:${oldStyle.socket.localPort}`);
    seen.killedOldStyle = await oldStyle.ended;

    const byType = [await connectPeer(ports.tlsPort), await connectPeer(ports.tlsPort)];
    for (const peer of byType) await until(async () => (await lineOf(observer, peer.socket.localPort)) !== undefined, 'the peer to be listed');
    // The plain peer goes too: it is as normal a client as the two in their handshake.
    seen.killByType = await observer.callRaw('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    seen.killedByType = await Promise.all([...byType, plain].map((p) => p.ended));
    seen.countersAfterKills = await counters();

    // Bytes that are not TLS: the handshake fails and the client is freed, counted nowhere.
    const garbage = await connectPeer(ports.tlsPort);
    await until(async () => (await lineOf(observer, garbage.socket.localPort)) !== undefined, 'the peer to be listed');
    garbage.socket.write('PING\r\n');
    await until(async () => (await lineOf(observer, garbage.socket.localPort)) === undefined, 'the failed handshake to free its client');
    seen.countersAfterGarbage = await counters();

    // A certificate from a CA the server does not know: likewise.
    const stranger = await connectPeer(ports.tlsPort);
    await until(async () => (await lineOf(observer, stranger.socket.localPort)) !== undefined, 'the peer to be listed');
    const refused = tls.connect({
      socket: stranger.socket, ca, servername: 'localhost', cert: readFileSync(certs.strangerCert), key: readFileSync(certs.strangerKey),
    });
    seen.strangerSaw = await new Promise<string>((resolve) => {
      refused.on('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code ?? err.message}`));
      refused.on('close', () => resolve('closed'));
    });
    await until(async () => (await lineOf(observer, stranger.socket.localPort)) === undefined, 'the refused handshake to free its client');
    seen.countersAfterStranger = await counters();

    // A handshake that completes: the client it had meanwhile goes on, with its id.
    const completing = await connectPeer(ports.tlsPort);
    const idDuringHandshake = Number(/^id=(\d+)/.exec((await settledLine(observer, completing.socket.localPort)) ?? '')?.[1]);
    seen.countersBeforeCompletion = await counters();
    const secured = tls.connect({
      socket: completing.socket, ca, servername: 'localhost', cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        secured.once('secureConnect', () => resolve());
        secured.once('error', reject);
      });
      secured.write('CLIENT ID\r\n');
      const reply = await new Promise<string>((resolve) => secured.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
      seen.sameId = reply === `:${idDuringHandshake}\r\n`;
      seen.countersAfterCompletion = await counters();
      // Its figures are those of a client that ran a command; the reply buffer's peak (rbp) is
      // forgotten every 5 s, at a moment that differs between the servers.
      seen.completedLine = masked(await lineOf(observer, completing.socket.localPort))?.replace(/ rbp=\d+/, ' rbp=<rbp>');
    } finally {
      secured.destroy();
    }
    await until(async () => (await lineOf(observer, completing.socket.localPort)) === undefined, 'the TLS client to go');

    // timeout closes a connection stuck in its handshake as any idle client (the observer too,
    // if it waits: a new connection sets it back).
    expect(await observer.call('CONFIG', 'SET', 'timeout', '1')).toBe('OK');
    try {
      const stuck = await connectPeer(ports.tlsPort);
      seen.timedOutPeer = await stuck.ended;
    } finally {
      const admin = await RawClient.connect(ports.port);
      await admin.call('CONFIG', 'SET', 'timeout', '0');
      admin.close();
    }
  } finally {
    observer.close();
  }
  return seen;
}

/** Starts `start` with a TLS port found free, again with another one if it was taken meanwhile. */
async function withFreeTlsPort<T>(start: (tlsPort: number) => Promise<T>): Promise<[T, number]> {
  for (let attempt = 1; ; attempt++) {
    const tlsPort = await freePort();
    try {
      return [await start(tlsPort), tlsPort];
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

describe.skipIf(!hasOracle)('differential: TLS connections in their handshake are clients', () => {
  let certs: TestCertificates;
  let nodis: TestServer;
  let redis: Oracle;
  const ports = { nodis: { port: 0, tlsPort: 0 }, redis: { port: 0, tlsPort: 0 } };

  beforeAll(async () => {
    certs = makeTestCertificates();
    const files = { 'tls-cert-file': certs.serverCert, 'tls-key-file': certs.serverKey, 'tls-ca-cert-file': certs.caCert };
    let tlsPort: number;
    [nodis, tlsPort] = await withFreeTlsPort(async (at) => startTestServer({ ...files, port: await freePort(), 'tls-port': at }));
    ports.nodis = { port: nodis.port, tlsPort };
    [redis, tlsPort] = await withFreeTlsPort((at) => startOracle(['--tls-port', String(at), ...Object.entries(files).flatMap(([name, value]) => [`--${name}`, value])]));
    ports.redis = { port: redis.port, tlsPort };
  });
  afterAll(async () => {
    for (const socket of peers) socket.destroy();
    await nodis?.stop();
    await redis?.stop();
    certs?.remove();
  });

  it('lists, counts, kills, times out and frees them as Redis does', async () => {
    const [mine, theirs] = await Promise.all([observe(ports.nodis, certs), observe(ports.redis, certs)]);
    expect(mine).toEqual(theirs);
    // What Redis 7.0 shows, for the record: a fresh client's line, not counted as a connection
    // received until its handshake completes; a killed peer sees the connection end.
    expect(theirs).toMatchObject({
      handshakingLine: expect.stringContaining(' flags=N db=0 ') as unknown,
      counters: 'connected_clients=3 total_connections_received+1 rejected_connections+0',
      killById: ':1\r\n',
      killedPeer: 'closed',
      killByType: ':3\r\n',
      countersAfterGarbage: 'connected_clients=1 total_connections_received+1 rejected_connections+0',
      sameId: true,
      countersAfterCompletion: 'connected_clients=2 total_connections_received+2 rejected_connections+0',
      timedOutPeer: 'closed',
    });
    expect(theirs.handshakingLine).toBe(theirs.plainLine);
  }, 60_000);
});
