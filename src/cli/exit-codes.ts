/**
 * Exit codes of every `tributary` command (documented in `tributary --help` and the README):
 * scripts can tell "bad input" from "the system failed" without parsing messages.
 */
export const EXIT_OK = 0;
/** The command ran and failed: unknown topic, offset out of range, storage error, ... */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong: unknown command or option, missing or malformed argument. */
export const EXIT_USAGE = 2;
/** Something the command needs is not installed or not reachable (e.g. Java for a real Kafka cluster). */
export const EXIT_UNAVAILABLE = 3;
/** Stopped by SIGINT (Ctrl-C) before finishing; a summary is still printed where the command has one. */
export const EXIT_INTERRUPTED = 130;
/** Stopped by SIGTERM (a service manager's stop), after a clean shutdown; 128 + 15 as shells report it. */
export const EXIT_TERMINATED = 143;

export const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    the command failed (unknown topic, offset out of range, storage error, ...)
  2    usage error (unknown command or option, malformed argument)
  3    a required tool or service is unavailable
  130  interrupted (Ctrl-C)
  143  terminated (SIGTERM) — tributary run, after a clean close`;
