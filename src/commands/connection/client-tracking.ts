import { ERR_SYNTAX, RedisError } from '../../errors.js';
import { getLongLong } from '../../util/parse.js';
import type { TrackingOptions } from '../../pubsub/tracking.js';
import type { CommandContext } from '../core/context.js';

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]… [BCAST] [OPTIN] [OPTOUT] [NOLOOP], with Redis's checks in its order. */
export function clientTracking(ctx: CommandContext, argv: string[]): void {
  let redirect = 0;
  const options: TrackingOptions = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const opt = (argv[j] as string).toLowerCase();
    const moreArgs = j < argv.length - 1;
    if (opt === 'redirect' && moreArgs) {
      j++;
      if (redirect !== 0) throw new RedisError('ERR A client can only redirect to a single other client');
      redirect = getLongLong(argv[j] as string);
      // The client must exist now, even though it may go away later.
      if (!ctx.server.clients.has(redirect)) throw new RedisError('ERR The client ID you want redirect to does not exist');
    } else if (opt === 'bcast') options.bcast = true;
    else if (opt === 'optin') options.optin = true;
    else if (opt === 'optout') options.optout = true;
    else if (opt === 'noloop') options.noloop = true;
    else if (opt === 'prefix' && moreArgs) prefixes.push(argv[++j] as string);
    else throw new RedisError(ERR_SYNTAX);
  }
  const mode = (argv[2] as string).toLowerCase();
  const tracking = ctx.server.tracking;
  if (mode === 'on') {
    const state = ctx.tracking;
    if (!options.bcast && prefixes.length !== 0) throw new RedisError('ERR PREFIX option requires BCAST mode to be enabled');
    if (state !== null && state.bcast !== options.bcast) {
      throw new RedisError(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
      );
    }
    if (options.bcast && (options.optin || options.optout)) throw new RedisError('ERR OPTIN and OPTOUT are not compatible with BCAST');
    if (options.optin && options.optout) throw new RedisError("ERR You can't specify both OPTIN mode and OPTOUT mode");
    if (state !== null && ((options.optin && state.optout) || (options.optout && state.optin))) {
      throw new RedisError(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
      );
    }
    if (options.bcast) {
      const collision = tracking.prefixCollision(ctx, prefixes);
      if (collision !== null) throw new RedisError(collision);
    }
    tracking.enable(ctx, redirect, options, prefixes);
  } else if (mode === 'off') {
    tracking.disable(ctx);
  } else {
    throw new RedisError(ERR_SYNTAX);
  }
  ctx.reply.ok();
}

export function clientCaching(ctx: CommandContext, argv: string[]): void {
  const state = ctx.tracking;
  if (state === null) {
    throw new RedisError('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
  }
  const opt = (argv[2] as string).toLowerCase();
  if (opt === 'yes') {
    if (!state.optin) throw new RedisError('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  } else if (opt === 'no') {
    if (!state.optout) throw new RedisError('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  } else {
    throw new RedisError(ERR_SYNTAX);
  }
  state.caching = true;
  ctx.reply.ok();
}

export function clientGetredir(ctx: CommandContext): void {
  ctx.reply.integer(ctx.tracking === null ? -1 : ctx.tracking.redirect);
}

export function clientTrackinginfo(ctx: CommandContext): void {
  const state = ctx.tracking;
  const r = ctx.reply;
  r.mapHeader(3);
  r.bulk('flags');
  const flags = [state === null ? 'off' : 'on'];
  if (state !== null) {
    if (state.bcast) flags.push('bcast');
    if (state.optin) {
      flags.push('optin');
      if (state.caching) flags.push('caching-yes');
    }
    if (state.optout) {
      flags.push('optout');
      if (state.caching) flags.push('caching-no');
    }
    if (state.noloop) flags.push('noloop');
    if (state.brokenRedirect) flags.push('broken_redirect');
  }
  r.setHeader(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk('redirect');
  r.integer(state === null ? -1 : state.redirect);
  r.bulk('prefixes');
  const prefixes = state === null ? [] : [...state.prefixes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  r.bulkArray(prefixes);
}
