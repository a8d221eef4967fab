/**
 * The cluster group, as a Redis 7.0 server with cluster-enabled no answers it: every CLUSTER
 * subcommand, READONLY, READWRITE and ASKING say that cluster support is disabled. They are in
 * the command table for what clients and ACL rules see of them: COMMAND's entries, arity
 * errors, and the @connection and @slow categories that ACL GETUSER and LIST describe rules by.
 */
import { RedisError } from '../../errors.js';
import type { CommandCode } from '../core/context.js';

const ERR_CLUSTER_DISABLED = 'ERR This instance has cluster support disabled';

function clusterDisabled(): void {
  throw new RedisError(ERR_CLUSTER_DISABLED);
}

/** CLUSTER's subcommands in Redis 7.0. */
const CLUSTER_SUBCOMMANDS = [
  'addslots', 'addslotsrange', 'bumpepoch', 'count-failure-reports', 'countkeysinslot', 'delslots', 'delslotsrange',
  'failover', 'flushslots', 'forget', 'getkeysinslot', 'help', 'info', 'keyslot', 'links', 'meet', 'myid', 'nodes',
  'replicas', 'replicate', 'reset', 'saveconfig', 'set-config-epoch', 'setslot', 'shards', 'slaves', 'slots',
];

export const commands: CommandCode[] = [
  { name: 'cluster', subcommands: CLUSTER_SUBCOMMANDS.map((name) => ({ name, handler: clusterDisabled })) },
  { name: 'readonly', handler: clusterDisabled },
  { name: 'asking', handler: clusterDisabled },
  { name: 'readwrite', handler: clusterDisabled },
];
