import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../../src/config/config.js';
import {
  ConfigFileError, ConfigOpenError, formatFatalConfigError, loadConfigText, loadServerConfig, parseCommandLine,
  rewriteConfigFile, rewrittenConfig,
} from '../../src/config/file.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodis-conf-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function loadError(text: string): ConfigFileError {
  try {
    loadConfigText(new Config(), text);
  } catch (err) {
    return err as ConfigFileError;
  }
  throw new Error('no error');
}

describe('redis.conf reader', () => {
  it('reads directives in any case, skips comments and blank lines, later lines win', () => {
    const c = new Config();
    loadConfigText(c, '# a comment\n\n  PORT 7000  \r\nport 7001\n\tMaxMemory 1gb\n   # indented comment\n');
    expect(c.getNumber('port')).toBe(7001);
    expect(c.getNumber('maxmemory')).toBe(1024 * 1024 * 1024);
  });

  it('splits lines like sdssplitargs: quotes and escapes', () => {
    const c = new Config();
    loadConfigText(c, 'requirepass "a b\\x41\\n"\nlogfile \'x y\'\nbind 127.0.0.1 "::1"\n');
    expect(c.getString('requirepass')).toBe('a bA\n');
    expect(c.getString('logfile')).toBe('x y');
    expect(c.format('bind')).toBe('127.0.0.1 ::1');
  });

  it('accumulates save lines, the first one replacing the defaults', () => {
    const c = new Config();
    loadConfigText(c, 'save 900 1\nsave 300 10 60 10000\n');
    expect(c.format('save')).toBe('900 1 300 10 60 10000');
    const d = new Config();
    loadConfigText(d, 'save ""\n');
    expect(d.format('save')).toBe('');
    const e = new Config();
    loadConfigText(e, 'save ""\nsave 10 1\n');
    expect(e.format('save')).toBe('10 1');
    const f = new Config();
    loadConfigText(f, 'save 900 1\nsave ""\n');
    expect(f.format('save')).toBe('');
    loadConfigText(f, 'save 900 1\nsave ""\nsave 10 1\n');
    expect(f.format('save')).toBe('10 1');
  });

  it('splits the one argument of a multi-argument parameter at spaces, as Redis 7.0 (--save "3600 1")', () => {
    const c = new Config();
    loadConfigText(c, parseCommandLine(['--save', '3600 1', '--client-output-buffer-limit', 'pubsub 32mb 8mb 60']).options);
    expect(c.format('save')).toBe('3600 1');
    expect(c.format('client-output-buffer-limit')).toContain('pubsub 33554432 8388608 60');
    const d = new Config();
    loadConfigText(d, 'save "900 1 300 10"\nsave "60 10000"\n');
    expect(d.format('save')).toBe('900 1 300 10 60 10000');
  });

  it('accepts the old ziplist names and the deprecated directives', () => {
    const c = new Config();
    loadConfigText(c, 'hash-max-ziplist-entries 64\nlist-max-ziplist-entries 5\nlist-max-ziplist-size -3\n');
    expect(c.getNumber('hash-max-listpack-entries')).toBe(64);
    expect(c.getNumber('list-max-listpack-size')).toBe(-3);
  });

  it('reports errors with the line number and the trimmed line', () => {
    let err = loadError('port 7412\nfoo bar\n');
    expect(err.message).toBe('Bad directive or wrong number of arguments');
    expect(formatFatalConfigError(err)).toBe(
      "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments\n",
    );
    err = loadError('port 7412\n  port  \n');
    expect([err.lineNumber, err.line, err.message]).toEqual([2, 'port', 'wrong number of arguments']);
    err = loadError('  save 10  \n');
    expect([err.lineNumber, err.line, err.message]).toEqual([1, 'save 10', 'Invalid save parameters']);
    err = loadError('port "7412\n');
    expect(err.message).toBe('Unbalanced quotes in configuration line');
    err = loadError('maxmemory-policy x');
    expect(err.message).toMatch(/^argument\(s\) must be one of the following: volatile-lru, /);
    err = loadError('sentinel monitor x');
    expect(err.message).toBe('sentinel directive while not in sentinel mode');
    err = loadError('mymodule.opt');
    expect(err.message).toBe('Module config specified without value');
  });

  it('includes other files, relative to dir, with patterns', () => {
    mkdirSync(join(dir, 'conf.d'), { recursive: true });
    writeFileSync(join(dir, 'inc.conf'), 'timeout 5\n');
    writeFileSync(join(dir, 'conf.d', 'a.conf'), 'hz 20\n');
    writeFileSync(join(dir, 'conf.d', 'b.conf'), 'hz 30\n');
    const c = new Config();
    loadConfigText(c, `dir ${dir}\ninclude inc.conf\ninclude ${dir}/conf.d/*.conf\ninclude ${dir}/empty.d/*.conf\n`);
    expect(c.getNumber('timeout')).toBe(5);
    expect(c.getNumber('hz')).toBe(30);
    expect(() => loadConfigText(new Config(), `include ${dir}/missing.conf`)).toThrow(ConfigOpenError);
    writeFileSync(join(dir, 'bad-inc.conf'), '\n\nnope 1\n');
    const err = loadError(`include ${dir}/bad-inc.conf`);
    expect([err.lineNumber, err.line]).toEqual([3, 'nope 1']);
  });

  it('keeps directives it cannot apply for the server to report', () => {
    const d = loadConfigText(new Config(), 'rename-command FLUSHALL ""\nuser alice on\nloadmodule /x.so a\nm.opt 1\n');
    expect(d.renames).toEqual([['FLUSHALL', '']]);
    expect(d.users).toEqual([['alice', 'on']]);
    expect(d.modules).toEqual([['/x.so', 'a']]);
    expect(d.moduleConfigs).toEqual([['m.opt', '1']]);
  });

  it('checks rename-command lines against the command table as earlier lines left it (Redis\'s errors)', () => {
    const names = ['get', 'set', 'config'];
    const load = (text: string): Config => {
      const c = new Config();
      loadServerConfig(c, { options: text, commandNames: names });
      return c;
    };
    expect(load('rename-command GET myget\nrename-command myget get2\nrename-command config ""').commandRenames).toEqual([
      ['GET', 'myget'], ['myget', 'get2'], ['config', ''],
    ]);
    const error = (text: string): string => {
      try {
        load(text);
      } catch (err) {
        return `${(err as ConfigFileError).lineNumber}: ${(err as Error).message}`;
      }
      return 'loaded';
    };
    expect(error('rename-command nosuch x')).toBe('2: No such command in rename-command');
    expect(error('rename-command get x\nrename-command get y')).toBe('3: No such command in rename-command');
    expect(error('rename-command get SET')).toBe('2: Target command name already exists');
    expect(error('rename-command get')).toBe('2: Bad directive or wrong number of arguments');
  });

  it('loads file, stdin and options in that order, numbering lines across them', () => {
    const file = join(dir, 'main.conf');
    writeFileSync(file, 'port 7000\nhz 15\n');
    const c = new Config();
    loadServerConfig(c, { file, stdin: 'port 7001\n', options: 'port "7002" ' });
    expect(c.getNumber('port')).toBe(7002);
    let err: ConfigFileError | undefined;
    try {
      loadServerConfig(new Config(), { file, options: parseCommandLine(['--port', '1', '--hz', 'abc']).options });
    } catch (e) {
      err = e as ConfigFileError;
    }
    expect([err?.lineNumber, err?.line, err?.message]).toEqual([5, 'hz "abc"', "argument couldn't be parsed into an integer"]);
    expect(() => loadServerConfig(new Config(), { file: join(dir, 'nope.conf') })).toThrow(
      `Fatal error, can't open config file '${join(dir, 'nope.conf')}': No such file or directory`,
    );
  });
});

describe('command line', () => {
  it('turns --name value pairs into quoted config lines', () => {
    expect(parseCommandLine(['--port', '6380', '--save', '', '--bind', '127.0.0.1 ::1'])).toEqual({
      configFile: null, stdin: false, options: 'port "6380" \nsave "" \nbind "127.0.0.1 ::1" ',
    });
    expect(parseCommandLine(['/etc/redis.conf', '--save', '900', '1', '-'])).toEqual({
      configFile: '/etc/redis.conf', stdin: true, options: 'save "900" "1" ',
    });
    expect(parseCommandLine(['-', '--port', '1']).stdin).toBe(true);
    expect(parseCommandLine(['--save', '--port', '1']).options).toBe('save ""\nport "1" ');
    expect(parseCommandLine(['--save']).options).toBe('save ""');
    expect(parseCommandLine(['--port 6380']).options).toBe('port 6380 ');
  });

  it('values that are not options follow the previous name', () => {
    const c = new Config();
    loadConfigText(c, parseCommandLine(['--port', '6380', '--save', '60', '5', '--port', '6381']).options);
    expect(c.getNumber('port')).toBe(6381);
    expect(c.format('save')).toBe('60 5');
    expect(() => loadConfigText(new Config(), parseCommandLine(['--port', '7413', '-v']).options)).toThrow('wrong number of arguments');
  });
});

describe('CONFIG REWRITE', () => {
  it('replaces changed lines in place, keeps comments and unknown lines, appends the rest', () => {
    const file = join(dir, 'rw.conf');
    writeFileSync(
      file,
      '# top comment\nport 7414\n\n\n# another\nhash-max-ziplist-entries 100\nsave 100 1\nsave 200 2\nslave-read-only yes\n' +
        'requirepass ""\ninclude /tmp/x.conf\nrename-command FLUSHALL ""\nlist-max-ziplist-entries 5\nmaxmemory 1gb\n   daemonize no   \n',
    );
    const c = new Config();
    c.set('dir', dir);
    c.set('port', '7414');
    c.set('save', '100 1 200 2');
    c.set('maxmemory', '3mb');
    c.set('notify-keyspace-events', 'KEA');
    c.set('client-output-buffer-limit', 'pubsub 1mb 2 3');
    c.set('hash-max-listpack-entries', '200');
    c.set('requirepass', 'a b"c');
    c.set('timeout', '5');
    rewriteConfigFile(c, file);
    expect(readFileSync(file, 'latin1')).toBe(
      [
        '# top comment', 'port 7414', '', '# another', 'hash-max-listpack-entries 200', 'save 100 1', 'save 200 2',
        'replica-read-only yes', 'requirepass "a b\\"c"', 'include /tmp/x.conf', 'rename-command FLUSHALL ""',
        '# ??? list-max-ziplist-entries 5', 'maxmemory 3mb', 'daemonize no', '', '# Generated by CONFIG REWRITE',
        'timeout 5', `dir "${dir}"`, 'latency-tracking-info-percentiles 50 99 99.9', 'notify-keyspace-events "AKE"',
        'client-output-buffer-limit pubsub 1mb 2 3', '',
      ].join('\n'),
    );
    // A second rewrite is stable, and a shorter save list blanks the extra line.
    c.set('save', '100 1');
    rewriteConfigFile(c, file);
    const again = readFileSync(file, 'latin1');
    expect(again).toContain('save 100 1\n\nreplica-read-only yes');
    expect(again.match(/# Generated by CONFIG REWRITE/g)).toHaveLength(1);
  });

  it('writes a new file when none exists, with save "" when saving is off', () => {
    const c = new Config();
    c.set('save', '');
    c.set('port', '7000');
    const text = rewrittenConfig(c, join(dir, 'fresh.conf'));
    expect(text.startsWith('# Generated by CONFIG REWRITE\nport 7000\n')).toBe(true);
    expect(text).toContain('\nsave ""\n');
  });
});
