/**
 * @module The telemetry facade the domain calls: counters, latencies and spans by name, with a no-op default.
 * Nothing here knows OpenTelemetry or HTTP: `ops/telemetry/register.ts` installs the OpenTelemetry-backed sink
 * (lib/observability/otel.ts) when an exporter is configured; until then every call is one property read and
 * an empty function, so the refresh path costs the same with telemetry off (BENCHMARKS.md, docs/telemetry.md).
 *
 * Labels are low-cardinality by construction: outcome, method, result, rule, type, dependency, route,
 * operation. Never a user id, email, IP, token or session id; the sink drops any value that is not a short
 * identifier-like word (see `safeLabel`), so a mistake becomes `other`, not a leak.
 */

/** Span and label attributes: short strings, numbers or booleans. */
export type Attributes = Record<string, string | number | boolean | undefined>;

/** Every counter, by its OpenTelemetry name (Prometheus: dots → underscores, plus `_total`). */
export type CounterName =
  | 'auth.refresh.outcomes'
  | 'auth.signins'
  | 'auth.signups'
  | 'auth.rate_limited'
  | 'auth.security_events'
  | 'auth.dependency_failures'
  | 'auth.admin_actions';

/** Every histogram (seconds). */
export type HistogramName = 'http.server.request.duration' | 'auth.redis.duration' | 'auth.db.duration';

/** What a span can be: the API request (server), a call to Redis or the database (client), or internal work. */
export type SpanKind = 'server' | 'client' | 'internal';

/** A span in progress: attributes can be added until it ends. */
export interface SpanHandle {
  /** Adds attributes to this span. */
  set(attributes: Attributes): void;
  /** Names the span (a request's route is known only once it was routed). */
  rename(name: string): void;
}

/** What a telemetry backend implements. */
export interface TelemetrySink {
  /** False for the no-op sink: callers may skip work that only telemetry needs. */
  readonly enabled: boolean;
  /** Adds one to a counter with these labels. */
  count(name: CounterName, labels: Record<string, string>): void;
  /** Records a duration (seconds) in a histogram. */
  observe(name: HistogramName, seconds: number, labels: Record<string, string>): void;
  /** Runs `fn` inside a span (a child of the active one; for `server`, of the trace context in `carrier`). */
  span<T>(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    fn: (span: SpanHandle) => Promise<T>,
    carrier?: Record<string, string>,
  ): Promise<T>;
  /** Adds attributes to the active span (the request's): how the edge, without metric export, reports outcomes. */
  annotate(attributes: Attributes): void;
  /** Writes the active trace context (`traceparent`, `tracestate`) into outgoing headers. */
  inject(headers: Record<string, string>): void;
}

const NO_SPAN: SpanHandle = { set() {}, rename() {} };

/** The default: does nothing, costs nothing. */
export const NOOP_TELEMETRY: TelemetrySink = {
  enabled: false,
  count() {},
  observe() {},
  span: (_name, _kind, _attributes, fn) => fn(NO_SPAN),
  annotate() {},
  inject() {},
};

// On globalThis: Next.js bundles instrumentation.ts apart from the routes, so a module-level variable set by
// one would not be seen by the other.
const SLOT = Symbol.for('lib/observability/telemetry.sink');
const holder = globalThis as typeof globalThis & { [SLOT]?: TelemetrySink };

/** The installed sink (the no-op one unless telemetry was registered). */
export function telemetry(): TelemetrySink {
  return holder[SLOT] ?? NOOP_TELEMETRY;
}

/** Installs a sink for the whole process (isolate); `undefined` puts the no-op back. */
export function setTelemetry(sink: TelemetrySink | undefined): void {
  holder[SLOT] = sink;
}

const LABEL = /^[A-Za-z0-9/][A-Za-z0-9_.:/-]{0,79}$/;
/** An email, an IPv4 or IPv6 address, or a long word with digits in it (ids, tokens, hashes). */
const LOOKS_PERSONAL = /@|\d{1,3}(\.\d{1,3}){3}|::|(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{12,}/;

/**
 * A label or attribute value as exported: short identifier-like words pass (outcomes, rule names, routes such
 * as `/api/v1/auth/sessions/:id`); anything that could be an email, IP, id or token becomes `other`.
 */
export function safeLabel(value: string): string {
  return LABEL.test(value) && !LOOKS_PERSONAL.test(value) ? value : 'other';
}

/** Counts one refresh by how it ended (`rotated`, `reused`, ... or any outcome a newer script returns). */
export function recordRefreshOutcome(outcome: string): void {
  const sink = telemetry();
  if (!sink.enabled) return;
  sink.count('auth.refresh.outcomes', { outcome });
  sink.annotate({ 'auth.refresh.outcome': outcome });
}

/** Counts a sign-in (`method`: credentials or a provider id) by result (`success` or an error code). */
export function recordSignIn(method: string, result: string): void {
  const sink = telemetry();
  if (!sink.enabled) return;
  sink.count('auth.signins', { method, result });
  sink.annotate({ 'auth.signin.method': method, 'auth.signin.result': result });
}

/** Counts a sign-up by method and result. */
export function recordSignUp(method: string, result: string): void {
  const sink = telemetry();
  if (!sink.enabled) return;
  sink.count('auth.signups', { method, result });
  sink.annotate({ 'auth.signup.method': method, 'auth.signup.result': result });
}

/** Counts a request refused by a rate limit, by the rule's name (lib/rate-limit/table.ts). */
export function recordRateLimited(rule: string): void {
  const sink = telemetry();
  if (!sink.enabled) return;
  sink.count('auth.rate_limited', { rule });
  sink.annotate({ 'auth.rate_limit.rule': rule });
}

/** Counts a security event by type (refresh_token_reuse, password_reset, user_blocked, ...). */
export function recordSecurityEvent(type: string): void {
  const sink = telemetry();
  if (!sink.enabled) return;
  sink.count('auth.security_events', { type });
  sink.annotate({ 'auth.security_event': type });
}

/** Counts a failed call to a backing service (redis, database). */
export function recordDependencyFailure(dependency: string): void {
  const sink = telemetry();
  if (!sink.enabled) return;
  sink.count('auth.dependency_failures', { dependency });
  sink.annotate({ 'auth.dependency_failure': dependency });
}
