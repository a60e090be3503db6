/**
 * @module Structured logs: one JSON line per auth event. Callers pass identifiers only (user id,
 * session id, IP, user agent, error codes); tokens, passwords and secrets are never passed, and
 * any field whose name suggests one is dropped as a second line of defence.
 */
import { isEdgeRuntime, nextTurn } from '../runtime/next-turn';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
/** A log level name. */
export type LogLevel = Exclude<keyof typeof LEVELS, 'silent'>;

const SECRET_FIELD = /token|password|secret|authorization|cookie|hash|key/i;

function threshold(): number {
  const configured = (process.env.LOG_LEVEL ?? 'info') as keyof typeof LEVELS;
  return LEVELS[configured] ?? LEVELS.info;
}

const stdout = isEdgeRuntime
  ? undefined
  : (globalThis as { process?: { stdout?: { write(text: string): unknown } } }).process?.stdout;
let buffered: string[] = [];

/**
 * On Node, lines are gathered and written once per event-loop turn: one write instead of one blocking
 * write per refresh under load (the profile showed it). Elsewhere (edge) console.log is the only sink.
 */
function emit(line: string, toStderr: boolean): void {
  if (!stdout || toStderr) {
    (toStderr ? console.error : console.log)(line);
    return;
  }
  if (buffered.push(line) === 1) {
    nextTurn(() => {
      const lines = buffered;
      buffered = [];
      stdout.write(lines.join('\n') + '\n');
    });
  }
}

// Field names seen so far, and whether each looks like a secret: callers name a handful of fields, so each
// is tested once. Bounded anyway, should a caller ever pass names it did not write.
const secretNames = new Map<string, boolean>();
const isSecretName = (name: string): boolean => {
  let secret = secretNames.get(name);
  if (secret === undefined) {
    secret = SECRET_FIELD.test(name);
    if (secretNames.size < 1024) secretNames.set(name, secret);
  }
  return secret;
};

// Under load many lines share a millisecond; formatting the time once per millisecond halves a line's cost.
let stampedAt = NaN;
let stamp = '';
const timestamp = (): string => {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = new Date(now).toISOString();
  }
  return stamp;
};

/** Writes one JSON line for an event, if its level is enabled (LOG_LEVEL, default info). */
export function logEvent(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  if (LEVELS[level] < threshold()) return;
  const line: Record<string, unknown> = { ts: timestamp(), level, event };
  for (const name in fields) {
    const value = fields[name];
    if (value !== undefined && !isSecretName(name)) line[name] = value;
  }
  emit(JSON.stringify(line), level === 'error' || level === 'warn');
}
