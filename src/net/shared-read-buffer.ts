/**
 * Reads of plain TCP and Unix-socket connections go into one buffer that every connection
 * shares, through the `onread` mode of Node's sockets: the bytes are handed to a callback with
 * no allocation per read. A socket's default read path allocates 64 KB per read, shrinks it to
 * what was read (a copy), wraps it in a new Buffer and passes it through the readable stream's
 * push and 'data' event; that was a tenth of the server's time on SET of 1 KB values.
 *
 * The loop is single-threaded and a read's callback runs to its end before the next read, so
 * one buffer serves all connections; whoever keeps bytes of it past the callback copies them
 * first (RespParser.detach).
 *
 * Node offers `onread` to the constructor of a socket only, not to a server's accepted
 * connections; the accepted socket is switched by setting the two fields the constructor sets
 * for it, found by their symbols' descriptions. Where they are not found (another Node), the
 * connection reads through 'data' events as before.
 */
import type { Socket } from 'node:net';

const READ_BUFFER_BYTES = 64 * 1024;

/** The buffer every switched connection's reads land in. */
export const sharedReadBuffer: Buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

interface OnreadKeys {
  buffer: symbol;
  callback: symbol;
}

/** The socket fields behind `onread`; null when this Node has none (looked up once). */
let onreadKeys: OnreadKeys | null | undefined;

function findOnreadKeys(socket: Socket): OnreadKeys | null {
  let buffer: symbol | undefined;
  let callback: symbol | undefined;
  for (const key of Object.getOwnPropertySymbols(socket)) {
    if (key.description === 'kBuffer') buffer = key;
    else if (key.description === 'kBufferCb') callback = key;
  }
  return buffer !== undefined && callback !== undefined ? { buffer, callback } : null;
}

interface UserBufferHandle {
  useUserBuffer?: (buffer: Uint8Array) => void;
  reading?: boolean;
}

/**
 * Makes `socket`, which has not started reading (accepted with pauseOnConnect), deliver its
 * bytes to `onBytes` as views of sharedReadBuffer, valid until it returns. False when the
 * socket cannot be switched: the caller reads it through 'data' events.
 */
export function readIntoSharedBuffer(socket: Socket, onBytes: (chunk: Buffer) => void): boolean {
  if (onreadKeys === undefined) onreadKeys = findOnreadKeys(socket);
  const handle = (socket as unknown as { _handle?: UserBufferHandle | null })._handle;
  if (onreadKeys === null || handle == null || typeof handle.useUserBuffer !== 'function' || handle.reading === true) return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  // Both fields are null on a socket made without onread; anything else means Node changed.
  if (fields[onreadKeys.buffer] !== null || fields[onreadKeys.callback] !== null) return false;
  handle.useUserBuffer(sharedReadBuffer);
  fields[onreadKeys.buffer] = sharedReadBuffer;
  fields[onreadKeys.callback] = (nread: number): void => {
    onBytes(sharedReadBuffer.subarray(0, nread));
  };
  return true;
}
