import type { CommandCode, CommandContext } from './context.js';

/**
 * Redis's addReplyHelp: the `<COMMAND> HELP` reply, one status line per entry, framed by the
 * usage line (the command as it was called, upper-cased: a renamed command shows its new name)
 * and the HELP entry every container command has.
 */
export function replyHelp(ctx: CommandContext, argv: readonly string[], lines: readonly string[]): void {
  const reply = ctx.reply;
  reply.arrayHeader(lines.length + 3);
  reply.simple(`${(argv[0] as string).toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (let i = 0; i < lines.length; i++) reply.simple(lines[i] as string);
  reply.simple('HELP');
  reply.simple('    Prints this help.');
}

/** The HELP subcommand of a container command whose help entries are `lines`. */
export function helpSubcommand(lines: readonly string[]): CommandCode {
  return { name: 'help', handler: (ctx, argv) => replyHelp(ctx, argv, lines) };
}

/** Redis's addReplySubcommandSyntaxError: a known subcommand with arguments it does not take. */
export function subcommandSyntaxError(argv: readonly string[]): string {
  return (
    `ERR unknown subcommand or wrong number of arguments for '${(argv[1] as string).slice(0, 128)}'. ` +
    `Try ${(argv[0] as string).toUpperCase()} HELP.`
  );
}
