import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, StartupRefused } from '../../src/index.js';
import { lastGlobMatchStarAttempts } from '../../src/util/glob.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const hasCli = spawnSync('redis-cli', ['--version']).status === 0;

/** redis-cli's output, stdout and stderr together. */
function cli(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

describe('ACL users', () => {
  let server: TestServer;
  let admin: RawClient;
  beforeAll(async () => {
    server = await startTestServer();
    admin = await server.raw();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function connectAs(user: string, password: string): Promise<RawClient> {
    const c = await server.raw();
    expect(await c.call('AUTH', user, password)).toBe('OK');
    return c;
  }

  it('ioredis connects with a username and password and gets NOPERM for what the user may not do', async () => {
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>app-secret', '~app:*', '-@all', '+@read', '+@write', '+ping', '+client|setname', '+client|setinfo');
    const app = server.client({ username: 'app', password: 'app-secret' });
    expect(await app.set('app:1', 'v')).toBe('OK');
    expect(await app.get('app:1')).toBe('v');
    await expect(app.get('other')).rejects.toThrow('NOPERM this user has no permissions to access one of the keys used as arguments');
    await expect(app.call('CONFIG', 'GET', 'port')).rejects.toThrow("NOPERM this user has no permissions to run the 'config|get' command");
    await expect(app.call('ACL', 'WHOAMI')).rejects.toThrow("NOPERM this user has no permissions to run the 'acl|whoami' command");
    const wrong = new Redis({ port: server.port, host: '127.0.0.1', username: 'app', password: 'nope', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const errors: string[] = [];
    wrong.on('error', (err: Error) => errors.push(err.message));
    await wrong.connect().catch(() => undefined);
    expect(errors).toContain('WRONGPASS invalid username-password pair or user is disabled.');
    wrong.disconnect();
  });

  it('the default user with every permission is never checked (the fast path)', async () => {
    const check = vi.spyOn(server.running.server.acl, 'check');
    try {
      const c = await server.raw();
      await c.call('SET', 'fast', '1');
      await c.call('GET', 'fast');
      await c.call('EVAL', "return redis.call('get', 'fast')", '0');
      expect(check).not.toHaveBeenCalled();
      const limited = await connectAsNew('limited', ['+get', '~*']);
      await limited.call('GET', 'fast');
      expect(check).toHaveBeenCalledTimes(1);
    } finally {
      check.mockRestore();
    }
  });

  async function connectAsNew(name: string, rules: string[]): Promise<RawClient> {
    expect(await admin.call('ACL', 'SETUSER', name, 'reset', 'on', '>pw', ...rules)).toBe('OK');
    return connectAs(name, 'pw');
  }

  it('DELUSER closes the user’s connections, its own after the reply; CLIENT KILL USER closes them on demand', async () => {
    const a = await connectAsNew('gone', ['+@all', '~*']);
    const b = await connectAs('gone', 'pw');
    const list = (await admin.call('CLIENT', 'LIST')) as string;
    expect(list.match(/user=gone /g)?.length).toBe(2);
    expect(await b.call('ACL', 'DELUSER', 'gone')).toBe(1);
    await a.waitClosed();
    await b.waitClosed();

    const c = await connectAsNew('killme', ['+@all', '~*']);
    const d = await connectAs('killme', 'pw');
    expect(await admin.call('CLIENT', 'KILL', 'USER', 'killme')).toBe(2);
    await c.waitClosed();
    await d.waitClosed();
    expect(await admin.call('CLIENT', 'KILL', 'USER', 'nosuch')).toEqual({ error: "ERR No such user 'nosuch'" });
  });

  it('a disabled user’s connections stay (as in Redis 7.0) but it cannot log in again', async () => {
    const a = await connectAsNew('sleepy', ['+@all', '~*']);
    await admin.call('ACL', 'SETUSER', 'sleepy', 'off');
    expect(await a.call('PING')).toBe('PONG');
    const b = await server.raw();
    expect(await b.call('AUTH', 'sleepy', 'pw')).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
  });

  it('subscribers that lose a channel are disconnected; a wider set of channels keeps them', async () => {
    const sub = await connectAsNew('sub', ['+@all', '~*', 'resetchannels', '&news.*', '&alerts']);
    const psub = await connectAs('sub', 'pw');
    const idle = await connectAs('sub', 'pw');
    await sub.call('SUBSCRIBE', 'news.eu');
    await psub.call('PSUBSCRIBE', 'news.*');
    expect(await psub.call('PSUBSCRIBE', 'news.e*')).toEqual({ error: 'NOPERM this user has no permissions to access one of the channels used as arguments' });
    // More channels: nobody loses anything.
    await admin.call('ACL', 'SETUSER', 'sub', '&more');
    expect(await sub.call('PING')).toEqual(['pong', '']);
    // news.* replaced by news.eu: the pattern subscriber goes, the channel subscriber stays.
    await admin.call('ACL', 'SETUSER', 'sub', 'resetchannels', '&news.eu', '&alerts');
    await psub.waitClosed();
    expect(await sub.call('PING')).toEqual(['pong', '']);
    await admin.call('ACL', 'SETUSER', 'sub', 'resetchannels');
    await sub.waitClosed();
    // A client of the user that subscribes to nothing stays.
    expect(await idle.call('PING')).toBe('PONG');
  });

  it('EXEC checks the queued commands again: rules changed meanwhile refuse them', async () => {
    const c = await connectAsNew('tx', ['+@all', '~*']);
    await c.call('MULTI');
    expect(await c.call('SET', 'tx:a', '1')).toBe('QUEUED');
    expect(await c.call('GET', 'tx:a')).toBe('QUEUED');
    await admin.call('ACL', 'SETUSER', 'tx', '-set');
    expect(await c.call('EXEC')).toEqual([
      {
        error:
          'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for ' +
          'the following reason: no permission to execute the command or subcommand',
      },
      null,
    ]);
  });

  it('acl-pubsub-default allchannels gives new users every channel', async () => {
    await admin.call('CONFIG', 'SET', 'acl-pubsub-default', 'allchannels');
    try {
      await admin.call('ACL', 'SETUSER', 'chan1');
      expect(await admin.call('ACL', 'LIST')).toContain('user chan1 off &* -@all');
    } finally {
      await admin.call('CONFIG', 'SET', 'acl-pubsub-default', 'resetchannels');
    }
    await admin.call('ACL', 'SETUSER', 'chan2');
    expect(await admin.call('ACL', 'LIST')).toContain('user chan2 off resetchannels -@all');
  });

  it('keeps passwords only as SHA-256, and hides SETUSER rules and AUTH passwords from the slow log', async () => {
    await admin.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    try {
      await admin.call('ACL', 'SETUSER', 'hashed', 'on', '>plain-text-pw');
      const getuser = JSON.stringify(await admin.call('ACL', 'GETUSER', 'hashed'));
      expect(getuser).not.toContain('plain-text-pw');
      expect(getuser).toContain(createHash('sha256').update('plain-text-pw').digest('hex'));
      const log = JSON.stringify(await admin.call('SLOWLOG', 'GET', '5'));
      expect(log).not.toContain('plain-text-pw');
      expect(log).toContain('(redacted)');
    } finally {
      await admin.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    }
  });

  it('DRYRUN of a worst-case key or channel pattern against a 50,000-character name does bounded work', async () => {
    // Unbounded backtracking would try every way to place the 10 stars: about 50,000^10 / 10! splits.
    const pattern = 'a*'.repeat(10) + 'b';
    const stars = 10;
    const name = 'a'.repeat(50_000);
    await admin.call('ACL', 'SETUSER', 'globkeys', 'on', 'nopass', `~${pattern}`, '+get');
    await admin.call('ACL', 'SETUSER', 'globchannels', 'on', 'nopass', `&${pattern}`, '+publish');
    await admin.call('ACL', 'SETUSER', 'globselector', 'on', 'nopass', 'resetkeys', `(~${pattern} +get)`);
    try {
      for (const [user, argv, what] of [
        ['globkeys', ['get', name], 'key'], ['globchannels', ['publish', name, 'm'], 'channel'], ['globselector', ['get', name], 'key'],
      ] as const) {
        expect(await admin.call('ACL', 'DRYRUN', user, ...argv)).toBe(`This user has no permissions to access the '${name}' ${what}`);
        // The check of the name was the last match made: each * tried each position at most once.
        expect(lastGlobMatchStarAttempts(), user).toBeGreaterThan(0);
        expect(lastGlobMatchStarAttempts(), user).toBeLessThanOrEqual(stars * name.length);
      }
      expect(await admin.call('ACL', 'DRYRUN', 'globkeys', 'get', `${name}b`)).toBe('OK');
      expect(lastGlobMatchStarAttempts()).toBeLessThanOrEqual(stars * (name.length + 1));
    } finally {
      await admin.call('ACL', 'DELUSER', 'globkeys', 'globchannels', 'globselector');
    }
  });

  it.skipIf(!hasCli)('redis-cli --user --pass', async () => {
    await admin.call('ACL', 'SETUSER', 'cliuser', 'on', '>cli-pw', '+@all', '~*');
    expect(await cli(server.port, ['--user', 'cliuser', '--pass', 'cli-pw', '--no-auth-warning', 'ACL', 'WHOAMI'])).toBe('cliuser\n');
    // redis-cli says the AUTH failed and goes on as the default user.
    const refused = await cli(server.port, ['--user', 'cliuser', '--pass', 'bad', '--no-auth-warning', 'ACL', 'WHOAMI']);
    expect(refused).toContain('AUTH failed: WRONGPASS invalid username-password pair or user is disabled.');
  });
});

describe('ACL at startup', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nodis-acl-start-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('CONFIG REWRITE writes the current users as user lines, as Redis does', async () => {
    const conf = join(dir, 'rewrite.conf');
    writeFileSync(conf, 'save ""\nuser bob on >x ~a* +get\n');
    const running = await startServer({ port: 0, configFile: conf });
    try {
      const c = await RawClient.connect(running.port);
      expect(await c.call('ACL', 'SETUSER', 'carol', 'on', 'nopass', '+@all', '~*')).toBe('OK');
      expect(await c.call('CONFIG', 'REWRITE')).toBe('OK');
      c.close();
      const text = readFileSync(conf, 'latin1');
      const hash = createHash('sha256').update('x').digest('hex');
      expect(text.split('\n').filter((l) => l.startsWith('user '))).toEqual([
        `user bob on #${hash} ~a* resetchannels -@all +get`,
        'user carol on nopass ~* resetchannels +@all',
        'user default on nopass ~* &* +@all',
      ]);
      expect(text.indexOf('user bob')).toBeLessThan(text.indexOf('# Generated by CONFIG REWRITE'));
    } finally {
      await running.close();
    }
  });

  it('requirepass makes clients authenticate; ioredis with a password only', async () => {
    const running = await startServer({ port: 0, save: '', requirepass: 'pw' });
    try {
      const c = await RawClient.connect(running.port);
      expect(await c.call('GET', 'x')).toEqual({ error: 'NOAUTH Authentication required.' });
      c.close();
      const client = new Redis({ port: running.port, host: '127.0.0.1', password: 'pw', maxRetriesPerRequest: 0 });
      expect(await client.call('ACL', 'WHOAMI')).toBe('default');
      client.disconnect();
    } finally {
      await running.close();
    }
  });

  it('refuses user lines together with an aclfile, and an ACL file with errors', async () => {
    const conf = join(dir, 'both.conf');
    const acl = join(dir, 'users.acl');
    writeFileSync(acl, 'user a on nopass +@all\n');
    writeFileSync(conf, `user b on nopass\naclfile ${acl}\n`);
    await expect(startServer({ port: 0, save: '', configFile: conf })).rejects.toThrow(/define either an ACL file or declare users/);
    writeFileSync(acl, 'user a on +nosuch\n');
    await expect(startServer({ port: 0, save: '', aclfile: acl })).rejects.toThrow(StartupRefused);
    await expect(startServer({ port: 0, save: '', aclfile: join(dir, 'missing.acl') })).rejects.toThrow(
      /Aborting Redis startup because of ACL errors: Error loading ACLs, opening file/,
    );
    // A rule that cannot apply is an error of the config file; an unknown command, of the loading.
    const badUser = join(dir, 'bad.conf');
    writeFileSync(badUser, 'user c on ~a ~* ~b\n');
    await expect(startServer({ port: 0, save: '', configFile: badUser })).rejects.toThrow("Error in user declaration '~a': Adding a pattern after the *");
    writeFileSync(badUser, 'user c on +nosuch\n');
    await expect(startServer({ port: 0, save: '', configFile: badUser })).rejects.toThrow('Critical error while loading ACLs. Exiting.');
  });
});
