// Structured JSON-lines logging in etcd's zap shape ({"level":"info","ts":...,
// "msg":...}), so tools that read etcd's logs read ours. Backed by pino.
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'panic' | 'fatal';

export type LogFields = Readonly<Record<string, unknown>>;

/** The logging surface every module receives; small so tests can pass a silent one. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Flushes buffered lines (before exit). */
  flush(): void;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** 'stderr', 'stdout', 'default' (= stderr) or file paths. */
  readonly outputs: readonly string[];
}

// pino has no 'panic'; etcd's panic level logs as an error that is never filtered below it.
function pinoLevel(level: LogLevel): string {
  return level === 'panic' ? 'error' : level;
}

function destinationFor(output: string): DestinationStream {
  if (output === 'stderr' || output === 'default') return pino.destination({ dest: 2, sync: true });
  if (output === 'stdout') return pino.destination({ dest: 1, sync: true });
  return pino.destination({ dest: output, sync: true, mkdir: true });
}

class PinoBackedLogger implements Logger {
  constructor(private readonly inner: PinoLogger) {}
  debug(msg: string, fields?: LogFields): void {
    this.inner.debug(fields ?? {}, msg);
  }
  info(msg: string, fields?: LogFields): void {
    this.inner.info(fields ?? {}, msg);
  }
  warn(msg: string, fields?: LogFields): void {
    this.inner.warn(fields ?? {}, msg);
  }
  error(msg: string, fields?: LogFields): void {
    this.inner.error(fields ?? {}, msg);
  }
  flush(): void {
    this.inner.flush();
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const outputs = options.outputs.length === 0 ? ['stderr'] : options.outputs;
  const streams = outputs.map((output) => ({ stream: destinationFor(output) }));
  const stream = streams.length === 1 && streams[0] ? streams[0].stream : pino.multistream(streams);
  const inner = pino(
    {
      level: pinoLevel(options.level),
      base: undefined,
      messageKey: 'msg',
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label: string) => ({ level: label }) },
    },
    stream,
  );
  return new PinoBackedLogger(inner);
}

/** A logger that drops everything: for in-process servers in tests. */
export const SILENT_LOGGER: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  flush: () => undefined,
};
