import { createHash } from 'node:crypto';
import type { LoadedScript } from './engine.js';

/** A script of the cache (Redis's luaScript): loaded once, run by EVAL and EVALSHA. */
export interface CachedScript {
  /** SHA1 of the body, lower-case hex. */
  readonly sha: string;
  /** The body as sent, shebang included (latin1). */
  readonly body: string;
  /** Its shebang's flags (shebang.ts SCRIPT_…). */
  readonly flags: number;
  readonly loaded: LoadedScript;
  /** What it holds, in bytes (INFO used_memory_scripts_eval). */
  readonly bytes: number;
}

/** SHA1 of a script body (latin1), lower-case hex: its name in EVALSHA, SCRIPT EXISTS and errors. */
export function scriptSha(body: string): string {
  return createHash('sha1').update(body, 'latin1').digest('hex');
}

/**
 * A V8 string's header and the rounding of its one-byte characters; what an entry of the
 * maps, the entry itself and the engine's prepared text cost comes on top (ENTRY_BYTES).
 */
const stringBytes = (length: number): number => 16 + Math.ceil(length / 8) * 8;
const ENTRY_BYTES = 160;

/**
 * The script cache (Redis's lctx.lua_scripts), keyed by SHA1. nodis's own: the engine keeps
 * nothing between calls. EVAL finds a body it has seen by the body itself (a map lookup costs
 * less than hashing it again); EVALSHA by SHA1, in any case as Redis's dict compares them.
 */
export class ScriptCache {
  private readonly bySha = new Map<string, CachedScript>();
  private readonly byBody = new Map<string, CachedScript>();
  private bytes = 0;

  get size(): number {
    return this.bySha.size;
  }

  /** Bytes the cache holds: bodies, the engine's texts for them, bookkeeping. */
  get memory(): number {
    return this.bytes;
  }

  bySha1(sha: string): CachedScript | undefined {
    return this.bySha.get(sha) ?? (sha.length === 40 ? this.bySha.get(sha.toLowerCase()) : undefined);
  }

  byBodyText(body: string): CachedScript | undefined {
    return this.byBody.get(body);
  }

  add(sha: string, body: string, flags: number, loaded: LoadedScript): CachedScript {
    const script: CachedScript = { sha, body, flags, loaded, bytes: stringBytes(body.length) + stringBytes(sha.length) + loaded.bytes + ENTRY_BYTES };
    this.bySha.set(sha, script);
    this.byBody.set(body, script);
    this.bytes += script.bytes;
    return script;
  }

  /** SCRIPT FLUSH. */
  clear(): void {
    this.bySha.clear();
    this.byBody.clear();
    this.bytes = 0;
  }
}
