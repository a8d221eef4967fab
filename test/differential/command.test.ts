import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mismatches, runBoth, type Step } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import type { RespValue } from '../helpers/resp.js';
import { formatCommandsJson, generate } from '../../scripts/gen-command-docs.js';

const hasOracle = oracleAvailable();

type Info = RespValue[];

/** Every COMMAND INFO entry by full name, subcommands included. */
async function commandTable(port: number): Promise<Map<string, Info>> {
  const client = await RawClient.connect(port);
  try {
    const all = (await client.call('COMMAND')) as Info[];
    const byName = new Map<string, Info>();
    const add = (entry: Info): void => {
      byName.set(entry[0] as string, entry);
      for (const sub of entry[9] as Info[]) add(sub);
    };
    for (const entry of all) add(entry);
    return byName;
  } finally {
    client.close();
  }
}

describe.skipIf(!hasOracle)('differential: COMMAND', () => {
  let nodis: TestServer;
  let redis: Oracle;
  let ours: Map<string, Info>;
  let theirs: Map<string, Info>;
  beforeAll(async () => {
    [nodis, redis] = await Promise.all([startTestServer(), startOracle()]);
    [ours, theirs] = await Promise.all([commandTable(nodis.port), commandTable(redis.port)]);
  });
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
  });

  async function expectSame(steps: Step[]): Promise<void> {
    // HELLO's client id legitimately differs.
    const mask = (raw: string): string => raw.replace(/(\$2\r\nid\r\n):\d+/g, '$1:<id>');
    expect(mismatches(await runBoth(nodis.port, redis.port, steps, mask))).toEqual([]);
  }

  it('only has commands Redis 7.0 has, but for CLIENT SETINFO', () => {
    const extra = [...ours.keys()].filter((name) => !theirs.has(name));
    expect(extra).toEqual(['client|setinfo']);
  });

  it('answers COMMAND INFO, COUNT, LIST and HELP errors and shapes as Redis does', async () => {
    await expectSame([
      ['COMMAND', 'INFO', 'nosuch', 'get', 'GET', 'client|list', 'CLIENT|LIST', 'client|nosuch', 'get|x', 'a|b|c'],
      ['COMMAND', 'INFO', 'ping', 'echo', 'select', 'command|info'],
      ['COMMAND', 'COUNT', 'x'], ['COMMAND', 'HELP'], ['COMMAND', 'nosuch'],
      ['COMMAND', 'LIST', 'FILTERBY'], ['COMMAND', 'LIST', 'FILTERBY', 'foo', 'bar'], ['COMMAND', 'LIST', 'x'],
      ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'], ['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuch'],
      { sorted: ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'comm*'] },
      { sorted: ['COMMAND', 'LIST', 'FILTERBY', 'pattern', 'COMMAND|*'] },
      ['HELLO', '3'], ['COMMAND', 'INFO', 'get', 'nosuch'], ['HELLO', '2'],
    ]);
  });

  it('answers COMMAND GETKEYS and GETKEYSANDFLAGS as Redis does', async () => {
    await expectSame([
      ['COMMAND', 'GETKEYS'], ['COMMAND', 'GETKEYS', 'get'], ['COMMAND', 'GETKEYS', 'nosuch', 'a'],
      ['COMMAND', 'GETKEYS', 'ping', 'x'], ['COMMAND', 'GETKEYS', 'get', 'a', 'b'], ['COMMAND', 'GETKEYS', 'client', 'list'],
      ['COMMAND', 'GETKEYS', 'command', 'info'], ['COMMAND', 'GETKEYS', 'client', 'nosuch'],
      ['COMMAND', 'GETKEYS', 'get', 'k\x00\xff'], ['COMMAND', 'GETKEYS', 'GET', 'a'], ['COMMAND', 'GETKEYS', 'set', 'a', 'b'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b'], ['COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b', 'GET'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'get', 'a'],
    ]);
  });

  it('finds the keys of numkeys commands as Redis does, its atoi fallback included, whatever numkeys says', async () => {
    // The key specs first; when numkeys is not a clean integer or too large, Redis's
    // genericGetKeys (atoi, at most the arguments left, the destination last).
    const numkeys = ['2', '1', '3', '0', '-1', '02', '2x', ' 2', '+2', 'x', '', '4294967298', '99999999999999999999', '1.5', '	1'];
    const lines: string[][] = [];
    for (const n of numkeys) {
      lines.push(
        ['zunionstore', 'dst', n, 'a', 'b'], ['zinterstore', 'dst', n, 'a', 'b', 'WEIGHTS', '1', '2'], ['zdiffstore', 'dst', n, 'a', 'b'],
        ['zunion', n, 'a', 'b'], ['zinter', n, 'a', 'b', 'WITHSCORES'], ['zdiff', n, 'a', 'b'], ['zintercard', n, 'a', 'b'],
        ['sintercard', n, 'a', 'b', 'LIMIT', '1'], ['zmpop', n, 'a', 'b', 'MIN'], ['bzmpop', '0', n, 'a', 'b', 'MAX'],
        ['lmpop', n, 'a', 'b', 'LEFT'], ['blmpop', '0', n, 'a', 'b', 'RIGHT'],
      );
    }
    await expectSame(lines.flatMap((line) => [['COMMAND', 'GETKEYS', ...line], ['COMMAND', 'GETKEYSANDFLAGS', ...line]]));
  });

  it('answers COMMAND INFO and COMMAND DOCS for each command byte for byte as Redis, in RESP2 and RESP3', async () => {
    const names = [...ours.keys()].filter((name) => name !== 'client|setinfo');
    const diffs: string[] = [];
    for (const protocol of ['2', '3']) {
      const [a, b] = await Promise.all([RawClient.connect(nodis.port), RawClient.connect(redis.port)]);
      try {
        await Promise.all([a.call('HELLO', protocol), b.call('HELLO', protocol)]);
        for (const name of names) {
          for (const sub of ['INFO', 'DOCS']) {
            const [mine, real] = await Promise.all([a.callRaw('COMMAND', sub, name), b.callRaw('COMMAND', sub, name)]);
            // Redis lists subcommands in its hash table's order; CLIENT SETINFO is Redis 7.2's.
            const canonical = (raw: string): string =>
              serialize(sub === 'INFO' ? canonicalInfoReply(parseRaw(raw)) : canonicalDocsReply(parseRaw(raw)));
            if (canonical(mine) !== canonical(real)) diffs.push(`RESP${protocol} COMMAND ${sub} ${name}\n  nodis ${JSON.stringify(mine)}\n  redis ${JSON.stringify(real)}`);
          }
        }
      } finally {
        a.close();
        b.close();
      }
    }
    expect(diffs).toEqual([]);
  });

  it('answers COMMAND and COMMAND DOCS (the whole table) with Redis entries for every command it has', async () => {
    for (const protocol of ['2', '3']) {
      const [a, b] = await Promise.all([RawClient.connect(nodis.port), RawClient.connect(redis.port)]);
      try {
        await Promise.all([a.call('HELLO', protocol), b.call('HELLO', protocol)]);
        const count = (await a.call('COMMAND', 'COUNT')) as number;
        const [mineInfo, realInfo] = await Promise.all([a.callRaw('COMMAND'), b.callRaw('COMMAND')]);
        const theirInfo = new Set(parseRaw(realInfo).kids.map((entry) => serialize(canonicalInfo(entry))));
        const myInfo = parseRaw(mineInfo).kids.map((entry) => serialize(canonicalInfo(entry)));
        expect(myInfo).toHaveLength(count);
        expect(myInfo.filter((entry) => !theirInfo.has(entry))).toEqual([]);
        const [mineDocs, realDocs] = await Promise.all([a.callRaw('COMMAND', 'DOCS'), b.callRaw('COMMAND', 'DOCS')]);
        const theirDocs = new Set(pairs(canonicalDocsReply(parseRaw(realDocs))).map(([name, docs]) => serialize(name) + serialize(docs)));
        const myDocs = pairs(canonicalDocsReply(parseRaw(mineDocs))).map(([name, docs]) => serialize(name) + serialize(docs));
        expect(myDocs).toHaveLength(count);
        expect(myDocs.filter((entry) => !theirDocs.has(entry))).toEqual([]);
      } finally {
        a.close();
        b.close();
      }
    }
  });

  it('has each commands.json as npm run gen:commands writes it from this redis-server', async () => {
    for (const group of await generate(redis.port)) {
      expect(group.unknown).toEqual([]);
      const file = readFileSync(new URL(`../../src/commands/${group.folder}/commands.json`, import.meta.url), 'utf8');
      expect(file, `${group.folder}/commands.json: run npm run gen:commands`).toBe(formatCommandsJson(group.entries));
    }
  });

  it('gives redis-cli the same help as Redis: usage lines and hints are built from COMMAND DOCS arguments', async () => {
    const groups = new Set<string>();
    const client = await RawClient.connect(nodis.port);
    try {
      const docs = (await client.call('COMMAND', 'DOCS')) as RespValue[];
      for (let i = 1; i < docs.length; i += 2) {
        const fields = docs[i] as RespValue[];
        groups.add(fields[fields.indexOf('group') + 1] as string);
      }
    } finally {
      client.close();
    }
    const missing: string[] = [];
    let seen = 0;
    for (const group of groups) {
      const [mine, real] = await Promise.all([cliHelp(nodis.port, `@${group}`), cliHelp(redis.port, `@${group}`)]);
      const theirs = new Set(real);
      for (const entry of mine) {
        seen++;
        if (!theirs.has(entry) && !entry.includes('CLIENT SETINFO')) missing.push(entry);
      }
    }
    expect(seen).toBe(ours.size);
    expect(missing).toEqual([]);
    const [mine] = await cliHelp(nodis.port, 'set');
    expect(mine).toContain('SET\x1b[0m \x1b[90mkey value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]');
  });
});

/** `redis-cli help <topic>`: one entry per command, usage line first (redis-cli reads COMMAND DOCS for it). */
function cliHelp(port: number, topic: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-p', String(port), 'help', topic], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve(text.split(/\r\n(?= {2}\x1b\[1m)/).slice(1).map((entry) => entry.trimEnd()));
    });
  });
}

/** A reply as a tree of its raw lines: a bulk string's head carries its payload. */
interface RawNode {
  head: string;
  kids: RawNode[];
}

function parseRaw(raw: string): RawNode {
  let pos = 0;
  const line = (): string => {
    const end = raw.indexOf('\r\n', pos);
    const text = raw.slice(pos, end);
    pos = end + 2;
    return text;
  };
  const node = (): RawNode => {
    const head = line();
    const type = head[0];
    const n = Number(head.slice(1));
    if ((type === '$' || type === '=') && n >= 0) {
      const payload = raw.slice(pos, pos + n);
      pos += n + 2;
      return { head: `${head}\r\n${payload}`, kids: [] };
    }
    const count = type === '*' || type === '~' || type === '>' ? Math.max(n, 0) : type === '%' ? n * 2 : 0;
    const kids: RawNode[] = [];
    for (let i = 0; i < count; i++) kids.push(node());
    return { head, kids };
  };
  return node();
}

function serialize(node: RawNode): string {
  return `${node.head}\r\n${node.kids.map(serialize).join('')}`;
}

function withKids(node: RawNode, kids: RawNode[]): RawNode {
  const type = node.head[0] as string;
  return { head: `${type}${type === '%' ? kids.length / 2 : kids.length}`, kids };
}

function pairs(node: RawNode): [RawNode, RawNode][] {
  const out: [RawNode, RawNode][] = [];
  for (let i = 0; i < node.kids.length; i += 2) out.push([node.kids[i] as RawNode, node.kids[i + 1] as RawNode]);
  return out;
}

const SETINFO = '$14\r\nclient|setinfo';

/** A COMMAND INFO entry with its subcommands sorted and CLIENT SETINFO (Redis 7.2's) left out. */
function canonicalInfo(entry: RawNode): RawNode {
  if (entry.kids.length !== 10) return entry;
  const subs = entry.kids[9] as RawNode;
  const sorted = subs.kids.filter((sub) => sub.kids[0]?.head !== SETINFO).map(canonicalInfo);
  sorted.sort((x, y) => (serialize(x) < serialize(y) ? -1 : 1));
  return { head: entry.head, kids: [...entry.kids.slice(0, 9), withKids(subs, sorted)] };
}

function canonicalInfoReply(reply: RawNode): RawNode {
  return { head: reply.head, kids: reply.kids.map(canonicalInfo) };
}

/** A COMMAND DOCS map with every subcommands map sorted and CLIENT SETINFO left out. */
function canonicalDocs(docs: RawNode): RawNode {
  const kids = pairs(docs).flatMap(([key, value]): RawNode[] => {
    if (key.head !== '$11\r\nsubcommands') return [key, value];
    const subs = pairs(value).filter(([name]) => name.head !== SETINFO).map(([name, sub]) => [name, canonicalDocs(sub)] as const);
    subs.sort((x, y) => (x[0].head < y[0].head ? -1 : 1));
    return [key, withKids(value, subs.flat())];
  });
  return { head: docs.head, kids };
}

function canonicalDocsReply(reply: RawNode): RawNode {
  return withKids(reply, pairs(reply).flatMap(([name, docs]) => [name, canonicalDocs(docs)]));
}
