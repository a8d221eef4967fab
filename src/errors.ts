/**
 * One error type for every error reply. `message` is the full text Redis sends
 * after the '-', prefix included ("ERR …", "WRONGTYPE …").
 */
export class RedisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisError';
  }
  /** The first word of the message, used for INFO errorstats. */
  get prefix(): string {
    const space = this.message.indexOf(' ');
    return space === -1 ? this.message : this.message.slice(0, space);
  }
}

/** A malformed request: answered with `-ERR Protocol error: …`, then the connection is closed. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

// Redis's shared error texts, spelled exactly as Redis does.
export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_NOT_INTEGER = 'ERR value is not an integer or out of range';
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';
export const ERR_NO_SUCH_KEY = 'ERR no such key';
export const ERR_OUT_OF_RANGE = 'ERR index out of range';
export const ERR_OVERFLOW = 'ERR increment or decrement would overflow';
export const ERR_DB_INDEX = 'ERR DB index is out of range';
export const ERR_NOAUTH = 'NOAUTH Authentication required.';

export function errWrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}
