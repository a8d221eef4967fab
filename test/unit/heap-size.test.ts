import { describe, expect, it } from 'vitest';
import { cgroupMemoryLimit, heapNeededFor, heapWarning, planHeap, type HeapInputs } from '../../src/server/heap.js';

const MB = 2 ** 20;
const GB = 2 ** 30;

/** A 24 GB machine outside any container, Node's default heap limit (about 4 GB), no flags. */
const machine: HeapInputs = {
  maxmemory: 0,
  totalMemory: 24 * GB,
  cgroupLimit: null,
  nodeOptions: undefined,
  execArgv: ['--max-semi-space-size=2'],
  heapLimit: 4102 * MB,
};

describe('planHeap', () => {
  it('sizes the old space to twice maxmemory plus 64 MB', () => {
    expect(heapNeededFor(3 * GB)).toBe(6 * GB + 64 * MB);
    expect(planHeap({ ...machine, maxmemory: 3 * GB })).toEqual({ oldSpaceMb: 6208, reason: 'twice maxmemory (3072 MB) plus 64 MB' });
    // Rounded up to whole MB.
    expect(planHeap({ ...machine, maxmemory: 2_500_000_000 }).oldSpaceMb).toBe(Math.ceil((5_000_000_000 + 64 * MB) / MB));
  });

  it('keeps Node\'s default when it is already enough for maxmemory', () => {
    expect(planHeap({ ...machine, maxmemory: 100 * MB })).toEqual({ oldSpaceMb: null, reason: "Node's default, enough for twice maxmemory (100 MB) plus 64 MB" });
  });

  it('without maxmemory, takes 75% of the container\'s memory limit', () => {
    const plan = planHeap({ ...machine, totalMemory: 64 * GB, cgroupLimit: 8 * GB, heapLimit: 2 * GB });
    expect(plan).toEqual({ oldSpaceMb: 6144, reason: "75% of the container's memory limit (8192 MB), maxmemory being 0" });
  });

  it('without maxmemory or a container limit, takes 75% of the machine\'s memory', () => {
    expect(planHeap(machine)).toEqual({ oldSpaceMb: 18432, reason: "75% of the machine's memory (24576 MB), maxmemory being 0" });
    // A cgroup limit at or above the machine's memory limits nothing.
    expect(planHeap({ ...machine, cgroupLimit: 32 * GB }).oldSpaceMb).toBe(18432);
  });

  it('in a container, grows Node\'s default (a quarter of the limit) unless it is enough', () => {
    expect(planHeap({ ...machine, cgroupLimit: 4 * GB, heapLimit: 1030 * MB }).oldSpaceMb).toBe(3072);
    expect(planHeap({ ...machine, cgroupLimit: 4 * GB, heapLimit: 3100 * MB }).oldSpaceMb).toBe(null);
  });

  it('never overrides a user\'s --max-old-space-size, in NODE_OPTIONS or node\'s flags', () => {
    for (const nodeOptions of ['--max-old-space-size=2048', '--trace-warnings --max_old_space_size=100', '--max-old-space-size 3000']) {
      expect(planHeap({ ...machine, maxmemory: 8 * GB, nodeOptions })).toEqual({ oldSpaceMb: null, reason: 'set by --max-old-space-size in NODE_OPTIONS' });
    }
    expect(planHeap({ ...machine, execArgv: ['--max-semi-space-size=2', '--max-old-space-size=9000'] })).toEqual({ oldSpaceMb: null, reason: 'set by node --max-old-space-size' });
    // Other flags are not it.
    expect(planHeap({ ...machine, nodeOptions: '--max-semi-space-size=2', maxmemory: 8 * GB }).oldSpaceMb).toBe(16448);
  });
});

describe('heapWarning', () => {
  it('warns when maxmemory needs more heap than the process has', () => {
    expect(heapWarning(0, 100 * MB)).toBeNull();
    expect(heapWarning(GB, 4 * GB)).toBeNull();
    expect(heapWarning(3 * GB, 4 * GB)).toMatch(/^WARNING: maxmemory \(3221225472 bytes\) needs about 6208 MB of V8 heap and this process has 4096 MB/);
  });
});

describe('cgroupMemoryLimit', () => {
  const files = (entries: Record<string, string>) => (path: string) => entries[path] ?? null;

  it('reads cgroup v2\'s memory.max at the process\'s own cgroup, "max" being no limit', () => {
    const self = '0::/system.slice/nodis.service\n';
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': self, '/sys/fs/cgroup/system.slice/nodis.service/memory.max': '2147483648\n' }))).toBe(2 * GB);
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': self, '/sys/fs/cgroup/system.slice/nodis.service/memory.max': 'max\n' }))).toBeNull();
  });

  it('inside a container (its own cgroup namespace), reads the root of the hierarchy', () => {
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': '536870912\n' }))).toBe(512 * MB);
    // A path of the host's that the container cannot see.
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': '0::/docker/abc\n', '/sys/fs/cgroup/memory.max': '536870912\n' }))).toBe(512 * MB);
  });

  it('reads cgroup v1\'s memory.limit_in_bytes, its huge "no limit" being none', () => {
    const self = '9:cpu,cpuacct:/\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n';
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': self, '/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes': '1073741824\n' }))).toBe(GB);
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': self, '/sys/fs/cgroup/memory/memory.limit_in_bytes': '1073741824\n' }))).toBe(GB);
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': self, '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n' }))).toBeNull();
  });

  it('finds none where there is no cgroup file', () => {
    expect(cgroupMemoryLimit(files({}))).toBeNull();
  });

  it('reads this machine without failing', () => {
    const limit = cgroupMemoryLimit();
    expect(limit === null || limit > 0).toBe(true);
  });
});
