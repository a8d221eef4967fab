import { Command } from 'commander';
import { Config } from './config/config.js';
import { createLogger } from './log.js';
import { startWithConfig } from './index.js';
import { NODIS_VERSION } from './net/server.js';

/** Entry point of `nodis-server [configfile] [--name value ...]`. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('nodis-server')
    .usage('[/path/to/redis.conf] [options] [-]')
    .version(`Redis server v=${NODIS_VERSION} nodis`, '-v, --version')
    .argument('[configfile]', 'a redis.conf file')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption('-h, --help');
  program.parse(argv);
  const config = new Config();
  const configFile = program.args[0];
  const logger = createLogger(config.getString('loglevel'), config.getString('logfile'));
  void configFile;
  const running = await startWithConfig(config, logger);
  logger.info(`Ready to accept connections on port ${running.port}`);
}
