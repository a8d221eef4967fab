/**
 * What Redis keeps of a client on the replica side of the handshake (its slave_* fields): the
 * port and address it announced (REPLCONF listening-port, ip-address) and, once it asked for a
 * snapshot, where the transfer is. INFO replication lists these clients (connected_slaves,
 * slaveN); replication.ts fills them in.
 */
import type { ClientConnection, CommandContext, ServerContext } from '../core/context.js';

export interface ReplicaLink {
  /** REPLCONF listening-port, as Redis's int (0 until given). */
  listeningPort: number;
  /** REPLCONF ip-address; null: the peer's address. */
  announcedIp: string | null;
  /** Redis's replstate while a snapshot is prepared, then sent; null before SYNC. */
  state: 'wait_bgsave' | 'send_bulk' | null;
}

const links = new WeakMap<CommandContext, ReplicaLink>();

/** The client's link, made on its first REPLCONF or SYNC. */
export function replicaLinkOf(ctx: CommandContext): ReplicaLink {
  let link = links.get(ctx);
  if (link === undefined) {
    link = { listeningPort: 0, announcedIp: null, state: null };
    links.set(ctx, link);
  }
  return link;
}

/** The IP of an address as CLIENT LIST shows it (`ip:port`, `[ipv6]:port`). */
function peerIp(addr: string): string {
  const colon = addr.lastIndexOf(':');
  const host = colon < 0 ? addr : addr.slice(0, colon);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** INFO replication's connected_slaves and slaveN lines: the clients being sent a snapshot. */
export function replicaInfoLines(server: ServerContext): string[] {
  const lines: string[] = [];
  for (const client of server.clients.values()) {
    if (!client.replica || client.monitor) continue;
    const link = links.get(client as ClientConnection);
    if (link === undefined || link.state === null) continue;
    const ip = link.announcedIp ?? peerIp(client.addr);
    // offset: what the replica acknowledged (nothing, with no stream); lag counts only online ones.
    lines.push(`slave${lines.length}:ip=${ip},port=${link.listeningPort},state=${link.state},offset=0,lag=0`);
  }
  return [`connected_slaves:${lines.length}`, ...lines];
}
