/**
 * A RESP2/RESP3 reply reader for tests: finds where one complete reply ends in a buffer and
 * decodes it into plain values for readable assertions.
 */
export type RespValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | { error: string }
  | { double: string }
  | { verbatim: string; format: string }
  | { map: Array<[RespValue, RespValue]> }
  | { set: RespValue[] }
  | { push: RespValue[] }
  | { attributes: Array<[RespValue, RespValue]>; value: RespValue }
  | RespValue[];

/** The end offset of the complete reply starting at `pos`, or -1 if incomplete. */
export function replyEnd(buf: Buffer, pos = 0): number {
  const result = decodeAt(buf, pos);
  return result === null ? -1 : result.end;
}

export function decode(buf: Buffer, pos = 0): { value: RespValue; end: number } | null {
  return decodeAt(buf, pos);
}

function lineEnd(buf: Buffer, pos: number): number {
  const cr = buf.indexOf('\r\n', pos, 'latin1');
  return cr;
}

function decodeAt(buf: Buffer, pos: number): { value: RespValue; end: number } | null {
  if (pos >= buf.length) return null;
  const type = String.fromCharCode(buf[pos] as number);
  const cr = lineEnd(buf, pos);
  if (cr === -1) return null;
  const line = buf.latin1Slice(pos + 1, cr);
  const next = cr + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: { error: line }, end: next };
    case ':':
      return { value: Number(line), end: next };
    case '(':
      return { value: BigInt(line), end: next };
    case ',':
      return { value: { double: line }, end: next };
    case '#':
      return { value: line === 't', end: next };
    case '_':
      return { value: null, end: next };
    case '$':
    case '=': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (next + len + 2 > buf.length) return null;
      const text = buf.latin1Slice(next, next + len);
      if (type === '=') return { value: { verbatim: text.slice(4), format: text.slice(0, 3) }, end: next + len + 2 };
      return { value: text, end: next + len + 2 };
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const count = type === '%' ? n * 2 : n;
      const items: RespValue[] = [];
      let p = next;
      for (let i = 0; i < count; i++) {
        const item = decodeAt(buf, p);
        if (item === null) return null;
        items.push(item.value);
        p = item.end;
      }
      if (type === '~') return { value: { set: items }, end: p };
      if (type === '>') return { value: { push: items }, end: p };
      if (type === '%') {
        const pairs: Array<[RespValue, RespValue]> = [];
        for (let i = 0; i < items.length; i += 2) pairs.push([items[i] as RespValue, items[i + 1] as RespValue]);
        return { value: { map: pairs }, end: p };
      }
      return { value: items, end: p };
    }
    case '|': {
      // Attributes are not a reply: they come before one, read here together with it.
      const attributes: Array<[RespValue, RespValue]> = [];
      let p = next;
      for (let i = 0; i < Number(line); i++) {
        const field = decodeAt(buf, p);
        if (field === null) return null;
        const value = decodeAt(buf, field.end);
        if (value === null) return null;
        attributes.push([field.value, value.value]);
        p = value.end;
      }
      const reply = decodeAt(buf, p);
      if (reply === null) return null;
      return { value: { attributes, value: reply.value }, end: reply.end };
    }
    default:
      throw new Error(`bad reply type byte ${JSON.stringify(type)} at ${pos}`);
  }
}

/** Encodes a command as a RESP multibulk (arguments are latin1 strings or Buffers). */
export function encodeCommand(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const arg of args) {
    const b = typeof arg === 'string' ? Buffer.from(arg, 'latin1') : arg;
    parts.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, Buffer.from('\r\n', 'latin1'));
  }
  return Buffer.concat(parts);
}
