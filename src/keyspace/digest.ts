import { createHash, hash as oneShotHash } from 'node:crypto';
import { HashValue } from '../types/hash.js';
import { List } from '../types/list.js';
import { SetValue } from '../types/set.js';
import { Stream, elementText, u64Text } from '../types/stream/index.js';
import { isStringValue, plainValue, type Value } from '../types/value.js';
import { largeStringBytes } from '../types/mutable-string.js';
import { ZSet } from '../types/zset.js';
import { formatDouble17g } from '../util/format.js';
import type { Database } from './database.js';

/**
 * The digest Redis's DEBUG DIGEST and DEBUG DIGEST-VALUE compute, byte for byte, so that a
 * dataset here and the same dataset in Redis 7.0 give the same 20 bytes. Built from two SHA1
 * steps: "xor" adds data regardless of order (sets, hash fields, keys), "mix" folds it in so
 * that order and boundaries count (list elements, a key before its value).
 */

export const DIGEST_BYTES = 20;

/** A 32-bit number as the 4 big-endian bytes Redis hashes (htonl). */
function uint32Bytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(n, 0);
  return out;
}

/** Redis's object type numbers (OBJ_STRING…) as mixed in before each value. */
const TYPE_TAG = {
  string: uint32Bytes(0),
  list: uint32Bytes(1),
  set: uint32Bytes(2),
  zset: uint32Bytes(3),
  hash: uint32Bytes(4),
  stream: uint32Bytes(6),
};

const EXPIRE_MARK = Buffer.from('!!expire!!', 'latin1');

/** One-shot hashing where Node has it (20.12+): a third cheaper than a Hash object per call. */
const sha1: (data: Buffer) => Buffer =
  typeof oneShotHash === 'function'
    ? (data) => oneShotHash('sha1', data, 'buffer') as unknown as Buffer
    : (data) => createHash('sha1').update(data).digest();

/**
 * Keys and values are latin1 strings (one char per byte). Short ones are written into one
 * scratch buffer rather than a new Buffer each: the view is hashed before the next call.
 */
const scratch = Buffer.allocUnsafe(4096);

function bytes(text: string): Buffer {
  if (text.length > scratch.length) return Buffer.from(text, 'latin1');
  return scratch.subarray(0, scratch.latin1Write(text, 0));
}

/** digest ^= SHA1(data): adding an element where order does not matter. */
function xorDigest(digest: Buffer, data: Buffer): void {
  const hashed = sha1(data);
  for (let i = 0; i < DIGEST_BYTES; i++) digest[i] = (digest[i] as number) ^ (hashed[i] as number);
}

/** digest = SHA1(digest ^ SHA1(data)): adding an element where order and boundaries matter. */
function mixDigest(digest: Buffer, data: Buffer): void {
  xorDigest(digest, data);
  sha1(digest).copy(digest);
}

const pairScratch = Buffer.alloc(DIGEST_BYTES);

/**
 * The digest of one field/value pair or member/score pair, to be xored into its collection's
 * at once (it is overwritten by the next pair).
 */
function pairDigest(first: string, second: string): Buffer {
  const digest = pairScratch.fill(0);
  mixDigest(digest, bytes(first));
  mixDigest(digest, bytes(second));
  return digest;
}

/**
 * Folds a value (its type, its contents, whether it has a TTL) into `digest`, as Redis's
 * xorObjectDigest. Only the presence of a TTL counts, not its time.
 */
export function addValueDigest(digest: Buffer, anyValue: Value, hasExpire: boolean): void {
  const large = isStringValue(anyValue) ? largeStringBytes(anyValue) : null;
  if (large !== null) {
    // Its bytes as they are (a value longer than a JS string has no text).
    mixDigest(digest, TYPE_TAG.string);
    mixDigest(digest, large);
    if (hasExpire) xorDigest(digest, EXPIRE_MARK);
    return;
  }
  const value = plainValue(anyValue);
  if (typeof value === 'string') {
    mixDigest(digest, TYPE_TAG.string);
    mixDigest(digest, bytes(value));
  } else if (value instanceof List) {
    mixDigest(digest, TYPE_TAG.list);
    for (let i = 0; i < value.size; i++) mixDigest(digest, bytes(value.get(i)));
  } else if (value instanceof SetValue) {
    mixDigest(digest, TYPE_TAG.set);
    for (const member of value.members()) xorDigest(digest, bytes(member));
  } else if (value instanceof ZSet) {
    mixDigest(digest, TYPE_TAG.zset);
    // Redis prints the score with %.17g whatever the encoding (a listpack's text score is
    // parsed back first, which gives the same double).
    value.forEachMember((member, score) => xorDigest(digest, pairDigest(member, formatDouble17g(score))));
  } else if (value instanceof HashValue) {
    mixDigest(digest, TYPE_TAG.hash);
    value.forEachPair((field, fieldValue) => xorDigest(digest, pairDigest(field, fieldValue)));
  } else if (value instanceof Stream) {
    // Each entry: its ID as "<ms>.<seq>", then its fields and values, in order (groups do not count).
    mixDigest(digest, TYPE_TAG.stream);
    const it = value.iterator(null, null, false);
    while (it.next()) {
      const id = it.id;
      mixDigest(digest, bytes(`${u64Text(id.msHi, id.msLo)}.${u64Text(id.seqHi, id.seqLo)}`));
      for (let i = 0; i < it.numFields; i++) {
        mixDigest(digest, bytes(elementText(it.lp, it.nextField())));
        mixDigest(digest, bytes(elementText(it.lp, it.nextValue())));
      }
    }
  } else {
    throw new Error(`no digest for values of type ${value.type}`);
  }
  if (hasExpire) xorDigest(digest, EXPIRE_MARK);
}

/** DEBUG DIGEST-VALUE of one key: the value's digest alone, all zeros for a missing key. */
export function valueDigest(db: Database, key: string): Buffer {
  const digest = Buffer.alloc(DIGEST_BYTES);
  // Like Redis, straight from the dict: a debug command sees logically expired keys too.
  const value = db.dict.get(key);
  if (value !== undefined) addValueDigest(digest, value, db.expires.has(key));
  return digest;
}

/**
 * DEBUG DIGEST: every key of every database, each key's digest (its name mixed with its value)
 * xored together, and each non-empty database's number mixed in before its keys so that the
 * same keys in another database differ. All zeros for an empty dataset.
 */
export function datasetDigest(databases: readonly Database[]): Buffer {
  const final = Buffer.alloc(DIGEST_BYTES);
  const keyDigest = Buffer.alloc(DIGEST_BYTES);
  for (const db of databases) {
    if (db.dict.size === 0) continue;
    mixDigest(final, uint32Bytes(db.id));
    const expires = db.expires;
    for (const [key, value] of db.dict) {
      keyDigest.fill(0);
      mixDigest(keyDigest, bytes(key));
      addValueDigest(keyDigest, value, expires.size !== 0 && expires.has(key));
      xorDigest(final, keyDigest);
    }
  }
  return final;
}
