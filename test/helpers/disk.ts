/**
 * Disks that fail, for tests of write errors: a small tmpfs that can be filled up (where the
 * test may mount one: root, and a kernel that lets it), and the whole-disk stand-ins that need
 * no privilege (/dev/full, which answers every write with ENOSPC).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  readonly dir: string;
  /** Fills the file system up (a filler file) until a write fails with ENOSPC. */
  fill(): void;
  /** Removes the filler: the disk has room again. */
  free(): void;
  /** Unmounts and removes the mount point (servers using it must be stopped first). */
  release(): void;
}

const FILLER = '.filler';

/** Why a tmpfs cannot be mounted here, or null when it can (probed once by mounting one). */
export function tmpfsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = mkdtempSync(join(tmpdir(), 'nodis-tmpfs-probe-'));
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { encoding: 'utf8' });
    if (mounted.status !== 0) return `mount -t tmpfs is not permitted here (${(mounted.stderr || mounted.error?.message || '').trim()})`;
    spawnSync('umount', [probe]);
    return null;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** A tmpfs of `bytes` on a fresh mount point; throws if it cannot be mounted (see tmpfsUnavailable). */
export function mountSmallDisk(bytes: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'nodis-tmpfs-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mount failed: ${mounted.stderr}`);
  }
  const filler = join(dir, FILLER);
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(4096, 0x5a);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
    },
    free() {
      unlinkSync(filler);
    },
    release() {
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The files of a server's directory, the filler left out. */
export function withoutFiller(names: string[]): string[] {
  return names.filter((n) => n !== FILLER).sort();
}
