import { describe, expect, it } from 'vitest';
import { CachedNumber, Config, ConfigSetError } from '../../src/config/config.js';
import { parseOutputBufferLimits, parseSavePoints, canonicalNotifyFlags } from '../../src/config/special.js';
import { memToBig, strtollFull, repr, formatMemory } from '../../src/config/values.js';

function setError(config: Config, name: string, value: string): string {
  try {
    config.set(name, value);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

describe('Config values', () => {
  it('starts with Redis 7.0 defaults', () => {
    const c = new Config();
    expect(c.getNumber('port')).toBe(6379);
    expect(c.format('save')).toBe('3600 1 300 100 60 10000');
    expect(c.format('client-output-buffer-limit')).toBe('normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60');
    expect(c.format('proto-max-bulk-len')).toBe('536870912');
    expect(c.format('list-max-ziplist-size')).toBe('-2');
    expect(c.getString('dir')).toBe(process.cwd());
    expect(c.format('latency-tracking-info-percentiles')).toBe('50 99 99.9');
    expect(c.format('shutdown-on-sigterm')).toBe('default');
    expect(c.format('bind')).toBe('127.0.0.1 -::1');
    expect(c.getBool('protected-mode')).toBe(true);
  });

  it('finds parameters by alias and in any case', () => {
    const c = new Config();
    c.set('HASH-MAX-ZIPLIST-ENTRIES', '100');
    expect(c.getNumber('hash-max-listpack-entries')).toBe(100);
    expect(c.format('Hash-Max-Listpack-Entries')).toBe('100');
    c.set('slaveof', 'no one');
    expect(c.format('replicaof')).toBe('');
  });

  it('parses integers like string2ll and checks bounds with Redis texts', () => {
    const c = new Config();
    expect(setError(c, 'port', '070')).toBe("argument couldn't be parsed into an integer");
    expect(setError(c, 'timeout', '+5')).toBe("argument couldn't be parsed into an integer");
    expect(setError(c, 'timeout', ' 5')).toBe("argument couldn't be parsed into an integer");
    expect(setError(c, 'port', '65536')).toBe('argument must be between 0 and 65535 inclusive');
    expect(setError(c, 'maxclients', '-1')).toBe('argument must be between 1 and 4294967295 inclusive');
    expect(setError(c, 'set-max-intset-entries', '-1')).toBe('argument must be between 0 and 9223372036854775807 inclusive');
    expect(setError(c, 'slowlog-log-slower-than', '-2')).toBe('argument must be between -1 and 9223372036854775807 inclusive');
    expect(setError(c, 'protected-mode', 'maybe')).toBe("argument must be 'yes' or 'no'");
  });

  it('parses memory values like memtoull', () => {
    const c = new Config();
    c.set('maxmemory', '1KB');
    expect(c.getNumber('maxmemory')).toBe(1024);
    c.set('maxmemory', '');
    expect(c.format('maxmemory')).toBe('0');
    c.set('maxmemory', '18446744073709551615');
    expect(c.format('maxmemory')).toBe('18446744073709551615');
    c.set('maxmemory', '99999999999999999999999');
    expect(c.format('maxmemory')).toBe('18446744073709551615');
    expect(setError(c, 'maxmemory', '-1')).toBe('argument must be a memory value');
    expect(setError(c, 'maxmemory', '1.5mb')).toBe('argument must be a memory value');
    expect(setError(c, 'proto-max-bulk-len', '20000000000000000000')).toBe('argument must be between 1048576 and 9223372036854775807 inclusive');
    c.set('hash-max-ziplist-value', '1k');
    expect(c.format('hash-max-listpack-value')).toBe('1000');
  });

  it('handles percent, octal and enum values', () => {
    const c = new Config();
    c.set('maxmemory-clients', '10%');
    expect(c.format('maxmemory-clients')).toBe('10%');
    expect(c.getNumber('maxmemory-clients')).toBe(-10);
    expect(setError(c, 'maxmemory-clients', '101%')).toBe('percentage argument must be less or equal to 100');
    expect(setError(c, 'maxmemory-clients', 'x')).toBe('argument must be a memory or percent value');
    c.set('unixsocketperm', '700');
    expect(c.format('unixsocketperm')).toBe('700');
    expect(c.getNumber('unixsocketperm')).toBe(0o700);
    expect(setError(c, 'unixsocketperm', '1000')).toBe('argument must be between 0 and 777 inclusive');
    c.set('loglevel', 'WARNING');
    expect(c.format('loglevel')).toBe('warning');
    expect(setError(c, 'appendfsync', 'x')).toBe('argument(s) must be one of the following: everysec, always, no');
    c.set('oom-score-adj', 'relative');
    expect(c.format('oom-score-adj')).toBe('yes');
  });

  it('caps hz into 1..500 as Redis does after setting it', () => {
    const c = new Config();
    c.set('hz', '1000');
    expect(c.getNumber('hz')).toBe(500);
    c.set('hz', '0');
    expect(c.format('hz')).toBe('1');
  });

  it('validates file names', () => {
    const c = new Config();
    expect(setError(c, 'dbfilename', 'a/b')).toBe("dbfilename can't be a path, just a filename");
    expect(setError(c, 'appendfilename', '')).toBe("appendfilename can't be empty");
    expect(setError(c, 'dir', '/no/such/dir/x')).toBe('No such file or directory');
    c.set('dir', '/tmp');
    expect(c.format('dir')).toBe('/tmp');
  });
});

describe('special parameters', () => {
  it('save: pairs, "" disables, Redis validation', () => {
    const c = new Config();
    c.set('save', '100 5 200 10');
    expect(parseSavePoints(c.getString('save'))).toEqual([{ seconds: 100, changes: 5 }, { seconds: 200, changes: 10 }]);
    c.set('save', '');
    expect(c.format('save')).toBe('');
    c.set('save', '05 +3');
    expect(c.format('save')).toBe('5 3');
    for (const bad of ['10', '10 x', '0 1', '1 -1', '100  5', '"100" 5']) expect(setError(c, 'save', bad)).toBe('Invalid save parameters');
    c.setArgs('save', ['']);
    expect(c.format('save')).toBe('');
  });

  it('notify-keyspace-events: flags and canonical text', () => {
    const c = new Config();
    c.set('notify-keyspace-events', 'KEA');
    expect(c.format('notify-keyspace-events')).toBe('AKE');
    expect(canonicalNotifyFlags('Elg')).toBe('glE');
    expect(canonicalNotifyFlags('Elg$szhxetdnm')).toBe('AEm');
    expect(canonicalNotifyFlags('nmKE')).toBe('nKEm');
    expect(canonicalNotifyFlags('AnK')).toBe('AK');
    expect(canonicalNotifyFlags('g$lshzxetd')).toBe('A');
    expect(setError(c, 'notify-keyspace-events', 'Q')).toBe("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    expect(setError(c, 'notify-keyspace-events', ' ')).toBe("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  });

  it('client-output-buffer-limit: classes, units, errors', () => {
    const c = new Config();
    c.set('client-output-buffer-limit', 'normal 1mb 2mb 3 REPLICA 1 1 1');
    expect(c.format('client-output-buffer-limit')).toBe('normal 1048576 2097152 3 slave 1 1 1 pubsub 33554432 8388608 60');
    expect(parseOutputBufferLimits(c.getString('client-output-buffer-limit')).pubsub).toEqual({ hard: 33554432, soft: 8388608, softSeconds: 60 });
    expect(setError(c, 'client-output-buffer-limit', 'replica 1 2')).toBe('Wrong number of arguments in buffer limit configuration.');
    expect(setError(c, 'client-output-buffer-limit', 'master 1 2 3')).toBe('Invalid client class specified in buffer limit configuration.');
    expect(setError(c, 'client-output-buffer-limit', 'pubsub 0 0 -1')).toBe('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    c.set('client-output-buffer-limit', '');
    expect(c.format('client-output-buffer-limit')).toBe('normal 1048576 2097152 3 slave 1 1 1 pubsub 33554432 8388608 60');
  });

  it('bind, shutdown-on-sigterm, oom-score-adj-values, percentiles', () => {
    const c = new Config();
    c.set('bind', '0.0.0.0 ::');
    expect(c.format('bind')).toBe('0.0.0.0 ::');
    c.setArgs('bind', ['']);
    expect(c.format('bind')).toBe('');
    c.set('shutdown-on-sigterm', 'now nosave');
    expect(c.format('shutdown-on-sigterm')).toBe('nosave now');
    expect(setError(c, 'shutdown-on-sigterm', 'save nosave')).toBe("shutdown options SAVE and NOSAVE can't be used simultaneously");
    expect(setError(c, 'oom-score-adj-values', '1 2')).toBe('wrong number of arguments');
    expect(setError(c, 'oom-score-adj-values', '1 2 9999')).toBe('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
    c.set('latency-tracking-info-percentiles', '50.0 99.90');
    expect(c.format('latency-tracking-info-percentiles')).toBe('50 99.9');
  });
});

describe('setMany', () => {
  it('sets all or nothing and names the failing parameter', () => {
    const c = new Config();
    let error: unknown;
    try {
      c.setMany([['hz', '11'], ['timeout', 'x']]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigSetError);
    expect((error as ConfigSetError).param).toBe('timeout');
    expect(c.getNumber('hz')).toBe(10);
    c.setMany([['hz', '11'], ['timeout', '5']]);
    expect(c.getNumber('hz')).toBe(11);
    expect(c.getNumber('timeout')).toBe(5);
  });

  it('rolls back when a change listener refuses the new value', () => {
    const c = new Config();
    const seen: unknown[] = [];
    c.onChange('port', (v) => {
      seen.push(v);
      if (v === 1) throw new Error('Unable to listen on this port. Check server logs.');
    });
    expect(() => c.setMany([['timeout', '7'], ['port', '1']])).toThrow('Unable to listen');
    expect(c.getNumber('port')).toBe(6379);
    expect(c.getNumber('timeout')).toBe(0);
    expect(seen).toEqual([1, 6379]);
  });

  it('preview gives the values a call would set without storing them', () => {
    const c = new Config();
    const next = c.preview([['port', '7000'], ['bind', '* -::*'], ['hash-max-ziplist-entries', '5'], ['hash-max-listpack-entries', '6']]);
    expect(next.get('port')).toEqual({ value: 7000, text: '7000' });
    expect(next.get('bind')?.text).toBe('* -::*');
    expect(next.get('hash-max-listpack-entries')?.text).toBe('6');
    expect(c.getNumber('port')).toBe(6379);
    expect(c.format('bind')).toBe('127.0.0.1 -::1');
    let error: unknown;
    try {
      c.preview([['port', '7000'], ['MaxMemory', 'lots']]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigSetError);
    expect((error as ConfigSetError).param).toBe('maxmemory');
  });

  it('reports the alias spelling in errors', () => {
    const c = new Config();
    try {
      c.setMany([['HASH-MAX-ZIPLIST-ENTRIES', 'x']]);
    } catch (err) {
      expect((err as ConfigSetError).param).toBe('hash-max-ziplist-entries');
    }
  });

  it('calls listeners only on real changes', () => {
    const c = new Config();
    let calls = 0;
    c.onChange('hz', () => calls++);
    c.set('hz', '10');
    c.set('hz', '12');
    expect(calls).toBe(1);
  });
});

describe('value helpers', () => {
  it('memToBig, strtollFull, repr, formatMemory', () => {
    expect(memToBig('1gb')).toBe(1073741824n);
    expect(memToBig('mb')).toBe(0n);
    expect(memToBig('1tb')).toBeNull();
    expect(memToBig('99999999999999999999999kb')).toBeNull();
    expect(strtollFull('')).toBe(0n);
    expect(strtollFull(' +7')).toBe(7n);
    expect(strtollFull('+')).toBeNull();
    expect(strtollFull('99999999999999999999')).toBe(9223372036854775807n);
    expect(repr('a b"c\n\x01\xff')).toBe('"a b\\"c\\n\\x01\\xff"');
    expect(formatMemory(3n * 1024n * 1024n)).toBe('3mb');
    expect(formatMemory(1025n)).toBe('1025');
    expect(formatMemory(0n)).toBe('0');
  });
});

describe('CachedNumber', () => {
  it('reads a parameter again after any change of the config, and per config', () => {
    const entries = new CachedNumber('hash-max-listpack-entries');
    const a = new Config();
    const b = new Config();
    b.set('hash-max-listpack-entries', '7');
    expect(entries.of(a)).toBe(512);
    expect(entries.of(b)).toBe(7);
    a.set('hash-max-ziplist-entries', '3');
    expect(entries.of(a)).toBe(3);
    a.setMany([['hash-max-listpack-entries', '5'], ['hash-max-listpack-value', '9']]);
    expect(entries.of(a)).toBe(5);
    // A CONFIG SET of several values that fails is undone: the cached value follows the undo.
    expect(() => a.setMany([['hash-max-listpack-entries', '6'], ['maxmemory-policy', 'bogus']])).toThrow();
    expect(a.getNumber('hash-max-listpack-entries')).toBe(5);
    expect(entries.of(a)).toBe(5);
  });
});
