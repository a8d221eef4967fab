import type { CommandContext } from './context.js';
import type { CommandSpec } from './registry.js';

function ping(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 2) throw new Error('unreachable');
  if (argv.length === 2) ctx.reply.bulk(argv[1] as string);
  else ctx.reply.pong();
}

export const commands: CommandSpec[] = [
  { name: 'ping', arity: -1, flags: ['fast', 'sentinel'], group: 'connection', handler: ping },
];
