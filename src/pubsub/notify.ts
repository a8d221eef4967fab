/**
 * Keyspace notification classes (notify-keyspace-events), as Redis's bit flags.
 */
export const NOTIFY_KEYSPACE = 1 << 0; // K
export const NOTIFY_KEYEVENT = 1 << 1; // E
const CLASS_BITS: Record<string, number> = {
  g: 1 << 2, // generic
  $: 1 << 3, // string
  l: 1 << 4, // list
  s: 1 << 5, // set
  h: 1 << 6, // hash
  z: 1 << 7, // sorted set
  x: 1 << 8, // expired
  e: 1 << 9, // evicted
  t: 1 << 10, // stream
  m: 1 << 11, // key miss
  d: 1 << 12, // module
  n: 1 << 13, // new key
};
/** 'A' is an alias for "g$lshzxetd" (not m nor n). */
const ALL = CLASS_BITS.g! | CLASS_BITS.$! | CLASS_BITS.l! | CLASS_BITS.s! | CLASS_BITS.h! | CLASS_BITS.z! | CLASS_BITS.x! | CLASS_BITS.e! | CLASS_BITS.t! | CLASS_BITS.d!;

/** The bit of one class letter (g $ l s h z x e t m d n). */
export function classBit(letter: string): number {
  return CLASS_BITS[letter] ?? 0;
}

/** Parses the flags string; -1 when it holds an unknown character. */
export function parseNotifyFlags(text: string): number {
  let flags = 0;
  for (const ch of text) {
    if (ch === 'A') flags |= ALL;
    else if (ch === 'K') flags |= NOTIFY_KEYSPACE;
    else if (ch === 'E') flags |= NOTIFY_KEYEVENT;
    else {
      const bit = CLASS_BITS[ch];
      if (bit === undefined) return -1;
      flags |= bit;
    }
  }
  return flags;
}
