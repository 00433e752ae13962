/**
 * Structured logging: one JSON line per event on stdout, so a relay's history can be grepped by
 * stream or session id. Fields go beside the event name, never inside the message text.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: LogLevel = (process.env.SIPHON_LOG_LEVEL as LogLevel) in rank
  ? (process.env.SIPHON_LOG_LEVEL as LogLevel)
  : 'info';

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export class Logger {
  constructor(private readonly context: LogFields = {}) {}

  child(fields: LogFields): Logger {
    return new Logger({ ...this.context, ...fields });
  }

  debug(event: string, fields?: LogFields): void { this.write('debug', event, fields); }
  info(event: string, fields?: LogFields): void { this.write('info', event, fields); }
  warn(event: string, fields?: LogFields): void { this.write('warn', event, fields); }
  error(event: string, fields?: LogFields): void { this.write('error', event, fields); }

  private write(level: LogLevel, event: string, fields?: LogFields): void {
    if (rank[level] < rank[threshold]) return;
    const line: LogFields = { t: new Date().toISOString(), level, event, ...this.context, ...fields };
    for (const [k, v] of Object.entries(line)) {
      if (v instanceof Error) line[k] = v.message;
    }
    process.stdout.write(JSON.stringify(line) + '\n');
  }
}

export const rootLog = new Logger({ component: 'relay' });
