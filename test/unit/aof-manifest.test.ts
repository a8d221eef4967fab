import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AofManifest, ManifestError } from '../../src/persistence/aof/manifest.js';

function parseError(text: string): ManifestError {
  try {
    AofManifest.parse(text);
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error('parsed');
}

describe('the AOF manifest', () => {
  it('reads and writes Redis 7.0\'s format: base, history, incremental files', () => {
    const text = 'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.4.incr.aof seq 4 type i\nfile appendonly.aof.5.incr.aof seq 5 type i\n';
    const m = AofManifest.parse(text);
    expect(m.base).toEqual({ name: 'appendonly.aof.2.base.rdb', seq: 2, type: 'b' });
    expect(m.incr.map((f) => f.seq)).toEqual([4, 5]);
    expect(m.currentIncrSeq).toBe(5);
    expect(m.format()).toBe(text);
  });

  it('accepts comments, extra pairs and any order of the pairs', () => {
    const m = AofManifest.parse('# comment\ntype i seq 3 file a.aof extra x\n');
    expect(m.incr).toEqual([{ name: 'a.aof', seq: 3, type: 'i' }]);
  });

  it('quotes names that need it, and reads them back', () => {
    const m = new AofManifest();
    m.base = { name: 'my file.aof', seq: 1, type: 'b' };
    m.currentBaseSeq = 1;
    expect(m.format()).toBe('file "my file.aof" seq 1 type b\n');
    expect(AofManifest.parse(m.format()).base?.name).toBe('my file.aof');
  });

  it('refuses what Redis refuses, with its reasons', () => {
    expect(parseError('').message).toBe('Found an empty AOF manifest');
    expect(parseError('file a seq 1 type b').message).toBe('The AOF manifest file contains too long line');
    expect(parseError('file a seq 1\n').message).toBe('Invalid AOF manifest file format');
    expect(parseError('\n').message).toBe('Invalid AOF manifest file format');
    expect(parseError('file a/b seq 1 type b\n').message).toBe("File can't be a path, just a filename");
    expect(parseError('file a seq 1 type b\nfile b seq 2 type b\n').message).toBe('Found duplicate base file information');
    expect(parseError('file a seq 2 type i\nfile b seq 2 type i\n').message).toBe('Found a non-monotonic sequence number');
    expect(parseError('file a seq 1 type x\n').message).toBe('Unknown AOF file type');
    const err = parseError('file a seq 1 type b\nfile x seq 0 type i\n');
    expect([err.lineNumber, err.line]).toEqual([2, 'file x seq 0 type i']);
  });

  it('names new files as Redis does and retires the rewritten ones', () => {
    const m = new AofManifest();
    expect(m.newBase('appendonly.aof', 'aof')).toBe('appendonly.aof.1.base.aof');
    expect(m.lastIncr('appendonly.aof')).toBe('appendonly.aof.1.incr.aof');
    expect(m.newIncr('appendonly.aof')).toBe('appendonly.aof.2.incr.aof');
    expect(m.newBase('appendonly.aof', 'rdb')).toBe('appendonly.aof.2.base.rdb');
    m.markRewrittenIncrAsHistory(true);
    expect(m.format()).toBe(
      // Redis puts each retired file at the head of the history: the base first, then the incr files.
      'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.1.base.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
    );
  });

  it('is replaced atomically on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodis-manifest-'));
    try {
      const m = new AofManifest();
      m.newBase('appendonly.aof', 'aof');
      m.persist(dir, 'appendonly.aof');
      expect(readdirSync(dir)).toEqual(['appendonly.aof.manifest']);
      expect(readFileSync(join(dir, 'appendonly.aof.manifest'), 'latin1')).toBe('file appendonly.aof.1.base.aof seq 1 type b\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is replaced the same way off the event loop (a rewrite\'s end), and an unwritable directory rejects', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodis-manifest-'));
    try {
      const m = new AofManifest();
      m.newBase('appendonly.aof', 'rdb');
      m.newIncr('appendonly.aof');
      m.persist(dir, 'appendonly.aof');
      const synchronous = readFileSync(join(dir, 'appendonly.aof.manifest'), 'latin1');
      m.newBase('appendonly.aof', 'rdb');
      await m.persistInBackground(dir, 'appendonly.aof');
      expect(readdirSync(dir)).toEqual(['appendonly.aof.manifest']);
      const text = readFileSync(join(dir, 'appendonly.aof.manifest'), 'latin1');
      expect(text).not.toBe(synchronous);
      expect(text).toBe(m.format());
      expect(AofManifest.parse(text).format()).toBe(m.format());
      await expect(m.persistInBackground(join(dir, 'missing'), 'appendonly.aof')).rejects.toThrow(/ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
