import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

/**
 * Redis writes the replies of one turn of its event loop in beforeSleep, after it has read and
 * run the commands of every connection that was ready: a reply is still unsent while the other
 * connections' commands of the same turn run. Seen from outside: a client killed by a command
 * read in the same turn as its own never gets its reply.
 */
async function killedInSameTurn(port: number): Promise<{ sleeper: unknown; victim: string; killer: unknown }> {
  const sleeper = await RawClient.connect(port);
  const victim = await RawClient.connect(port);
  const killer = await RawClient.connect(port);
  try {
    victim.send('CLIENT', 'ID');
    const id = String(await victim.read());
    // While the server sleeps, both commands arrive: it reads them in the same turn.
    sleeper.send('DEBUG', 'SLEEP', '0.3');
    await delay(50);
    victim.send('PING');
    killer.send('CLIENT', 'KILL', 'ID', id);
    const killed = await killer.read();
    let victimSaw: string;
    try {
      victimSaw = await victim.readRaw(2000);
    } catch (err) {
      victimSaw = (err as Error).message;
    }
    return { sleeper: await sleeper.read(), victim: victimSaw, killer: killed };
  } finally {
    sleeper.close();
    victim.close();
    killer.close();
  }
}

describe.skipIf(!hasOracle)('differential: replies are written at the end of the event loop turn', () => {
  const servers = differentialPair({ redis: ['--enable-debug-command', 'yes'] });

  it('a client killed by a command of the same turn never gets its reply', async () => {
    const redis = await killedInSameTurn(servers.redis.port);
    const nodis = await killedInSameTurn(servers.nodis.port);
    expect(redis).toEqual({ sleeper: 'OK', victim: 'connection closed', killer: 1 });
    expect(nodis).toEqual(redis);
  });
});
