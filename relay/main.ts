/** Relay entry point: `npm run relay` (settings from the environment and SIPHON_CONFIG). */
import { loadConfig, ConfigError } from './config.ts';
import { rootLog, setLogLevel, type LogLevel } from './log.ts';
import { Relay } from './relay.ts';

async function main(): Promise<void> {
  rootLog.info('relay.process', { node: process.version, pid: process.pid });
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      rootLog.error('relay.config_error', { err });
      process.exit(2);
    }
    throw err;
  }
  setLogLevel(config.logLevel as LogLevel);
  const relay = await Relay.start(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    rootLog.info('relay.signal', { signal });
    relay.close().then(() => process.exit(0), (err) => {
      rootLog.error('relay.stop_failed', { err });
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

process.on('unhandledRejection', (err) => rootLog.error('relay.unhandled_rejection', { err: err as Error }));
main().catch((err) => {
  rootLog.error('relay.start_failed', { err });
  process.exit(1);
});
