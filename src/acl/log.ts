import type { Config } from '../config/config.js';

/** Why an entry was logged (ACL LOG's reason). */
export type AclLogReason = 'command' | 'key' | 'channel' | 'auth';

export interface AclLogEntry {
  count: number;
  reason: AclLogReason;
  context: string;
  /** The command's full name, the key or channel, or the AUTH/HELLO command as sent. */
  object: string;
  username: string;
  /** When the entry was last updated (ms). */
  updatedAt: number;
  /** CLIENT LIST's line of the last client it happened to. */
  clientInfo: string;
}

/** Entries this close in time (ms) and otherwise alike are counted as one (Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA). */
const GROUPING_MS = 60_000;
/** How many of the newest entries are looked at for one to count in. */
const GROUPING_SCAN = 10;

/** ACL LOG: refused commands and failed authentications, newest first, at most acllog-max-len. */
export class AclLog {
  /** Newest first. */
  entries: AclLogEntry[] = [];

  constructor(private readonly config: Config) {}

  /** Redis's addACLLogEntry: a like entry among the newest is counted again and moved first. */
  add(reason: AclLogReason, context: string, object: string, username: string, clientInfo: string): void {
    const now = Date.now();
    const scan = Math.min(GROUPING_SCAN, this.entries.length);
    for (let i = 0; i < scan; i++) {
      const e = this.entries[i] as AclLogEntry;
      if (e.reason !== reason || e.context !== context || Math.abs(e.updatedAt - now) > GROUPING_MS) continue;
      if (e.object !== object || e.username !== username) continue;
      this.entries.splice(i, 1);
      this.entries.unshift(e);
      e.clientInfo = clientInfo;
      e.updatedAt = now;
      e.count++;
      return;
    }
    this.entries.unshift({ count: 1, reason, context, object, username, updatedAt: now, clientInfo });
    const max = this.config.getNumber('acllog-max-len');
    if (this.entries.length > max) this.entries.length = max;
  }

  reset(): void {
    this.entries = [];
  }
}
