/**
 * Ruby and PHP clients in processes the test spawns (test/clients/fixtures/ruby, …/php), on
 * nodis and on real Redis: redis-rb basics (pipelined, multi, eval, scan, pub/sub), a Sidekiq
 * job pushed by the client and run by a `sidekiq` process, and php-redis basics, pipelining,
 * MULTI and pub/sub. Debian's ruby-redis, ruby-sidekiq, php-cli and php-redis provide them.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { debianInterpreter, libraryServers, runScenarioScript, runtimeAvailable } from '../helpers/libraries.js';
import { oracleAvailable } from '../helpers/oracle.js';

const hasOracle = oracleAvailable();
const RUBY = debianInterpreter('ruby');
const PHP = debianInterpreter('php');
const hasRuby = hasOracle && runtimeAvailable('ruby with redis and sidekiq', [RUBY, '-e', 'require "redis"; require "sidekiq"'], 'apt-get install ruby-redis ruby-sidekiq');
const hasPhp = hasOracle && runtimeAvailable('php with the redis extension', [PHP, '-r', 'exit(extension_loaded("redis") && function_exists("pcntl_fork") ? 0 : 1);'], 'apt-get install php-cli php-redis');
const RUBY_SCENARIOS = fileURLToPath(new URL('./fixtures/ruby/scenarios.rb', import.meta.url));
const PHP_SCENARIOS = fileURLToPath(new URL('./fixtures/php/scenarios.php', import.meta.url));

describe.skipIf(!hasRuby)('Ruby clients against nodis and Redis', { timeout: 120_000 }, () => {
  const servers = libraryServers();

  it('redis-rb: strings, pipelined, multi, errors, eval, sorted sets, scan_each and pub/sub', async () => {
    const { nodis, redis } = await servers.both((t) => runScenarioScript(RUBY, [RUBY_SCENARIOS, 'redis-rb', String(t.port)], `redis-rb on ${t.kind}`));
    expect(nodis).toMatchObject({ multi: [6, '6'], pubsub: [['chan', 'hello']] });
    expect(nodis).toEqual(redis);
  });

  it('Sidekiq: jobs pushed by the client are run by a sidekiq process', async () => {
    const { nodis, redis } = await servers.both((t) => runScenarioScript(RUBY, [RUBY_SCENARIOS, 'sidekiq', String(t.port)], `sidekiq on ${t.kind}`));
    expect(nodis).toEqual({ ids: [true, true], queued: 2, results: ['42', '6'], left: 0, processed: 2 });
    expect(nodis).toEqual(redis);
  });
});

describe.skipIf(!hasPhp)('PHP client against nodis and Redis', { timeout: 120_000 }, () => {
  const servers = libraryServers();

  it('php-redis: basics, pipeline, MULTI, errors, eval, sorted sets and pub/sub', async () => {
    const { nodis, redis } = await servers.both((t) => runScenarioScript(PHP, [PHP_SCENARIOS, String(t.port)], `php-redis on ${t.kind}`));
    expect(nodis).toMatchObject({ multi: [6, '6'], pubsub: [['chan', 'hello']] });
    expect(nodis).toEqual(redis);
  });
});
