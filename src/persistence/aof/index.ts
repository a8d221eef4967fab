/**
 * The AOF as persistence/index.ts registers it: one AppendOnlyFile per server, made the first
 * time the server uses its AOF (start-up with appendonly yes, CONFIG SET, BGREWRITEAOF).
 */
import type { AofServer, AofStatus } from './server.js';
import { AppendOnlyFile } from './writer.js';

const files = new WeakMap<AofServer, AppendOnlyFile>();

function fileOf(server: AofServer): AppendOnlyFile {
  let file = files.get(server);
  if (file === undefined) {
    file = new AppendOnlyFile(server);
    files.set(server, file);
  }
  return file;
}

export const appendOnlyFile = {
  load: (server: AofServer): Promise<void> => fileOf(server).load(),
  start: (server: AofServer): void => fileOf(server).start(),
  stop: (server: AofServer): void => files.get(server)?.stop(),
  startRewrite: (server: AofServer, inTransaction: boolean): 'started' | 'scheduled' => fileOf(server).requestRewrite(inTransaction),
  cron: (server: AofServer): void => files.get(server)?.cron(),
  prepareShutdown: (server: AofServer, force: boolean): boolean => files.get(server)?.prepareShutdown(force) ?? true,
  close: (server: AofServer): void => files.get(server)?.close(),
  status: (server: AofServer): AofStatus | null => files.get(server)?.status() ?? null,
};

/** The AOF of a server, if it has used one (tests look inside). */
export function appendOnlyFileOf(server: AofServer): AppendOnlyFile | undefined {
  return files.get(server);
}
