/**
 * Where the log reports what it did on its own (a torn tail cut off, an index rebuilt, a segment
 * deleted by retention). One line per event; the default writes to stderr, tests pass `silentLogger`
 * or collect the lines to assert on them.
 */
export interface LogLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const stderrLogger: LogLogger = {
  info(message) {
    process.stderr.write(`[tributary log] ${message}\n`);
  },
  warn(message) {
    process.stderr.write(`[tributary log] WARN ${message}\n`);
  },
};

export const silentLogger: LogLogger = {
  info() {},
  warn() {},
};
