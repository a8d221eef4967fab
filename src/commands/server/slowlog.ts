import { RedisError } from '../../errors.js';
import { getRangeLong } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { helpSubcommand, subcommandSyntaxError } from '../core/help.js';
import type { SlowLogEntry } from '../../server/slowlog.js';

const SLOWLOG_HELP = [
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
];

function slowlogGet(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 3) {
    throw new RedisError(subcommandSyntaxError(argv));
  }
  let count = 10;
  if (argv.length === 3) {
    count = getRangeLong(argv[2] as string, -1, Number.MAX_SAFE_INTEGER, 'ERR count should be greater than or equal to -1');
    if (count === -1) count = Infinity;
  }
  const entries = ctx.server.slowlog.entries;
  const n = Math.min(count, entries.length);
  const reply = ctx.reply;
  reply.arrayHeader(n);
  for (let i = 0; i < n; i++) {
    const e = entries[i] as SlowLogEntry;
    reply.arrayHeader(6);
    reply.integer(e.id);
    reply.integer(e.time);
    reply.integer(e.duration);
    reply.bulkArray(e.argv);
    reply.bulk(e.addr);
    reply.bulk(e.name);
  }
}

export const commands: CommandCode[] = [
  {
    name: 'slowlog',
    subcommands: [
      { name: 'get', handler: slowlogGet },
      { name: 'len', handler: (ctx) => ctx.reply.integer(ctx.server.slowlog.entries.length) },
      {
        name: 'reset',
        handler: (ctx) => {
          ctx.server.slowlog.reset();
          ctx.reply.ok();
        },
      },
      helpSubcommand(SLOWLOG_HELP),
    ],
  },
];
