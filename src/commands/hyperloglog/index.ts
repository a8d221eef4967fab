/**
 * PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST, as Redis 7.0's hyperloglog.c answers them.
 * The algorithm and the byte format are in types/hyperloglog.ts; values are read and written
 * through ./value.ts.
 */
import { RedisError } from '../../errors.js';
import {
  HLL_DENSE, HLL_REGISTERS, HLL_SPARSE, HllBuffer, countRegisters, denseRegister, describeSparse, hllAdd, hllCount,
  hllRaise, mergeRegisters, selfTest, sparseToDense,
} from '../../types/hyperloglog.js';
import { ERR_INVALID_HLL, addHll, hllOf, replaceHll } from './value.js';
import type { CommandCode, CommandContext } from '../core/context.js';

/** Elements are hashed from here (latin1 strings → bytes) without a Buffer per element. */
let scratch = Buffer.alloc(256);
/** Longer elements get a buffer of their own, so that one huge element does not stay allocated. */
const SCRATCH_MAX = 64 * 1024;

function sparseMaxBytes(ctx: CommandContext): number {
  return ctx.server.config.getNumber('hll-sparse-max-bytes');
}

function pfadd(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const db = ctx.db;
  const value = db.lookupWrite(key);
  const created = value === undefined;
  const hll = created ? HllBuffer.empty() : hllOf(value);
  let updated = created ? 1 : 0;
  const maxBytes = sparseMaxBytes(ctx);
  for (let j = 2; j < argv.length; j++) {
    const element = argv[j] as string;
    let bytes: Buffer;
    if (element.length > SCRATCH_MAX) bytes = Buffer.from(element, 'latin1');
    else {
      if (scratch.length < element.length) scratch = Buffer.alloc(SCRATCH_MAX);
      bytes = scratch;
      bytes.latin1Write(element, 0);
    }
    const result = hllAdd(hll, bytes, 0, element.length, maxBytes);
    if (result === 1) updated++;
    else if (result === -1) {
      // Redis changes the value in place: the elements added before the corrupt spot stay, unannounced.
      if (created) addHll(db, key, hll);
      else replaceHll(db, key, hll);
      throw new RedisError(ERR_INVALID_HLL);
    }
  }
  if (updated !== 0) {
    hll.invalidateCache();
    if (created) addHll(db, key, hll);
    else {
      replaceHll(db, key, hll);
      db.signalModifiedKey(key);
    }
    db.notify('$', 'pfadd', key);
    ctx.server.dirty += updated;
  }
  ctx.reply.integer(updated !== 0 ? 1 : 0);
}

function pfcount(ctx: CommandContext, argv: string[]): void {
  const db = ctx.db;
  if (argv.length > 2) {
    // The estimate of the union: registers merged one per byte, no cache involved.
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const value = db.lookupRead(argv[j] as string);
      if (value === undefined) continue;
      if (!mergeRegisters(max, hllOf(value))) throw new RedisError(ERR_INVALID_HLL);
    }
    ctx.reply.integer(countRegisters(max));
    return;
  }
  const key = argv[1] as string;
  const value = db.lookupRead(key);
  if (value === undefined) return ctx.reply.integer(0);
  const hll = hllOf(value);
  if (hll.cacheValid()) return ctx.reply.integer(hll.cachedCardinality());
  const card = hllCount(hll);
  if (card === -1) throw new RedisError(ERR_INVALID_HLL);
  // Storing the estimate changes the value: Redis counts it as a write (dirty, so PFCOUNT is
  // propagated) and signals the key, with no keyspace event.
  hll.setCachedCardinality(card);
  replaceHll(db, key, hll);
  db.signalModifiedKey(key);
  ctx.server.dirty++;
  ctx.reply.integer(card);
}

function pfmerge(ctx: CommandContext, argv: string[]): void {
  const db = ctx.db;
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  // The destination is a source too (argv[1]).
  for (let j = 1; j < argv.length; j++) {
    const value = db.lookupRead(argv[j] as string);
    if (value === undefined) continue;
    const source = hllOf(value);
    if (source.encoding === HLL_DENSE) useDense = true;
    if (!mergeRegisters(max, source)) throw new RedisError(ERR_INVALID_HLL);
  }
  const key = argv[1] as string;
  const value = db.lookupWrite(key);
  const created = value === undefined;
  const hll = created ? HllBuffer.empty() : hllOf(value);
  if (useDense && !sparseToDense(hll)) {
    if (created) addHll(db, key, hll);
    throw new RedisError(ERR_INVALID_HLL);
  }
  const maxBytes = sparseMaxBytes(ctx);
  for (let j = 0; j < HLL_REGISTERS; j++) {
    const register = max[j] as number;
    if (register !== 0) hllRaise(hll, j, register, maxBytes);
  }
  hll.invalidateCache();
  if (created) addHll(db, key, hll);
  else {
    replaceHll(db, key, hll);
    db.signalModifiedKey(key);
  }
  // Redis announces a merge as 'pfadd': it is a mass add of elements.
  db.notify('$', 'pfadd', key);
  ctx.server.dirty++;
  ctx.reply.ok();
}

/**
 * PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. The key is checked before the subcommand. A
 * conversion to dense counts as a write (so it propagates) but is not signalled, as in Redis.
 */
function pfdebug(ctx: CommandContext, argv: string[]): void {
  const subcommand = argv[1] as string;
  const key = argv[2] as string;
  const db = ctx.db;
  const value = db.lookupWrite(key);
  if (value === undefined) throw new RedisError('ERR The specified key does not exist');
  const hll = hllOf(value);
  switch (subcommand.toLowerCase()) {
    case 'getreg': {
      if (hll.encoding === HLL_SPARSE) convertToDense(ctx, key, hll);
      const reply = ctx.reply;
      reply.arrayHeader(HLL_REGISTERS);
      for (let j = 0; j < HLL_REGISTERS; j++) reply.integer(denseRegister(hll, j));
      return;
    }
    case 'decode':
      if (hll.encoding !== HLL_SPARSE) throw new RedisError('ERR HLL encoding is not sparse');
      ctx.reply.bulk(describeSparse(hll));
      return;
    case 'encoding':
      ctx.reply.simple(hll.encoding === HLL_DENSE ? 'dense' : 'sparse');
      return;
    case 'todense': {
      const sparse = hll.encoding === HLL_SPARSE;
      if (sparse) convertToDense(ctx, key, hll);
      ctx.reply.integer(sparse ? 1 : 0);
      return;
    }
    default:
      throw new RedisError(`ERR Unknown PFDEBUG subcommand '${subcommand}'`);
  }
}

function convertToDense(ctx: CommandContext, key: string, hll: HllBuffer): void {
  if (!sparseToDense(hll)) throw new RedisError(ERR_INVALID_HLL);
  replaceHll(ctx.db, key, hll);
  ctx.server.dirty++;
}

function pfselftest(ctx: CommandContext): void {
  const failure = selfTest(sparseMaxBytes(ctx));
  if (failure !== null) throw new RedisError(`ERR ${failure}`);
  ctx.reply.ok();
}

export const commands: CommandCode[] = [
  { name: 'pfadd', handler: pfadd },
  { name: 'pfcount', handler: pfcount },
  { name: 'pfmerge', handler: pfmerge },
  { name: 'pfdebug', handler: pfdebug },
  { name: 'pfselftest', handler: pfselftest },
];
