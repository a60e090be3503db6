/**
 * @module The telemetry sink over the OpenTelemetry API: spans from the global tracer, counters and histograms
 * from the global meter. Edge-safe (only @opentelemetry/api); which providers and exporters stand behind the
 * globals is decided by ops/telemetry/register.ts. On the edge no meter provider is registered, so the
 * counters are no-ops there and the outcomes travel as span attributes (and log fields) instead.
 */
import {
  context,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind as OtelSpanKind,
  SpanStatusCode,
  trace,
  type Counter,
  type Histogram,
  type Meter,
  type Span,
} from '@opentelemetry/api';
import {
  safeLabel,
  type Attributes,
  type CounterName,
  type HistogramName,
  type SpanHandle,
  type SpanKind,
  type TelemetrySink,
} from './telemetry';

const KIND: Record<SpanKind, OtelSpanKind> = {
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  internal: OtelSpanKind.INTERNAL,
};

const COUNTERS: Record<CounterName, string> = {
  'auth.refresh.outcomes': 'Refreshes by outcome (rotated, replayed, recovered, reused, revoked, expired, invalid, ...)',
  'auth.signins': 'Sign-ins by method (credentials or provider) and result (success or error code)',
  'auth.signups': 'Sign-ups by method and result',
  'auth.rate_limited': 'Requests refused by a rate limit, by rule',
  'auth.security_events': 'Security events recorded, by type',
  'auth.dependency_failures': 'Failed calls to a backing service, by dependency',
  'auth.admin_actions': 'Support actions taken with the admin CLI, by action',
};

const HISTOGRAMS: Record<HistogramName, string> = {
  'http.server.request.duration': 'API request latency by route, method and status',
  'auth.redis.duration': 'Redis request latency (one pipeline is one request), by operation',
  'auth.db.duration': 'Database query latency, by model and operation',
};

/** Buckets (seconds) from 1 ms to 10 s: a refresh is a few ms, a timeout seconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every attribute value through safeLabel; numbers and booleans as they are. */
function clean(attributes: Attributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const name in attributes) {
    const value = attributes[name];
    if (value === undefined) continue;
    out[name] = typeof value === 'string' ? safeLabel(value) : value;
  }
  return out;
}

function cleanLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in labels) out[name] = safeLabel(labels[name]!);
  return out;
}

/** Wraps an OpenTelemetry span as the facade's handle. */
/** A span name is a few words (`POST /api/v1/auth/refresh-token`, `redis PIPELINE`), each one a safe label. */
const spanName = (name: string) => name.split(' ').map(safeLabel).join(' ');

const handle = (span: Span): SpanHandle => ({
  set: (attributes) => span.setAttributes(clean(attributes)),
  rename: (name) => span.updateName(spanName(name)),
});

/** Builds the OpenTelemetry sink; instruments are made once, from the meter registered at that time. */
export function createOtelTelemetry(meter: Meter = metrics.getMeter('auth')): TelemetrySink {
  const tracer = trace.getTracer('auth');
  const counters = new Map<CounterName, Counter>();
  const histograms = new Map<HistogramName, Histogram>();
  for (const [name, description] of Object.entries(COUNTERS) as Array<[CounterName, string]>) {
    counters.set(name, meter.createCounter(name, { description }));
  }
  for (const [name, description] of Object.entries(HISTOGRAMS) as Array<[HistogramName, string]>) {
    histograms.set(name, meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: BUCKETS } }));
  }
  return {
    enabled: true,
    count(name, labels) {
      counters.get(name)?.add(1, cleanLabels(labels));
    },
    observe(name, seconds, labels) {
      histograms.get(name)?.record(seconds, cleanLabels(labels));
    },
    async span(name, kind, attributes, fn, carrier) {
      // A server span continues the caller's trace (traceparent) unless a span is already active (Next.js's own).
      const parent = carrier && !trace.getActiveSpan() ? propagation.extract(ROOT_CONTEXT, carrier) : context.active();
      return tracer.startActiveSpan(spanName(name), { kind: KIND[kind], attributes: clean(attributes) }, parent, async (span) => {
        try {
          return await fn(handle(span));
        } catch (error) {
          // The error's kind only: messages can carry connection strings or user input.
          span.setStatus({ code: SpanStatusCode.ERROR, message: safeLabel((error as Error)?.name ?? 'Error') });
          throw error;
        } finally {
          span.end();
        }
      });
    },
    annotate(attributes) {
      trace.getActiveSpan()?.setAttributes(clean(attributes));
    },
    inject(headers) {
      propagation.inject(context.active(), headers);
    },
  };
}
