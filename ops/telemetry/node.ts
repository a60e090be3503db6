/**
 * @module Telemetry on Node (`npm run api`, `next start`): traces through @vercel/otel, and the OpenTelemetry
 * metrics SDK with two readers: OTLP/HTTP (JSON) to the collector named by the OTEL_EXPORTER_OTLP_* variables,
 * and Prometheus text on METRICS_HOST:METRICS_PORT (default host 127.0.0.1, so not public unless asked).
 * Nothing is registered when neither is configured: the facade stays the no-op.
 */
import { hostname } from 'node:os';
import { metrics, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import { registerOTel } from '@vercel/otel';
import { parseTelemetrySettings } from '../../lib/config/env';
import { createOtelTelemetry } from '../../lib/observability/otel';
import { setTelemetry } from '../../lib/observability/telemetry';
import { ScrubbingSpanProcessor } from './scrub';
import { isOff, telemetryPlan, type TelemetryPlan } from './settings';

/** What was registered, for the server's shutdown and for tests. */
export interface NodeTelemetry {
  plan: TelemetryPlan;
  /** The Prometheus scrape URL, when METRICS_PORT is set. */
  metricsUrl: string | undefined;
  /** Exports every pending span and the current metrics now. */
  flush(): Promise<void>;
  /** Flushes, then stops the exporters and the metrics server. */
  shutdown(): Promise<void>;
}

/** The SDK's tracer provider behind the API's proxy (it has forceFlush/shutdown; the proxy does not). */
const sdkTracerProvider = () =>
  (trace.getTracerProvider() as { getDelegate?: () => unknown }).getDelegate?.() as
    { forceFlush?: () => Promise<void>; shutdown?: () => Promise<void> } | undefined;

/** Registers traces and metrics as the environment asks; undefined when telemetry is off. */
export async function registerNodeTelemetry(
  env: Record<string, string | undefined> = process.env,
): Promise<NodeTelemetry | undefined> {
  const settings = parseTelemetrySettings(env);
  const plan = telemetryPlan(settings, 'nodejs');
  if (isOff(plan)) return undefined;
  const readers: MetricReader[] = [];
  if (plan.otlpMetrics) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: settings.OTEL_METRIC_EXPORT_INTERVAL,
        exportTimeoutMillis: Math.min(30_000, settings.OTEL_METRIC_EXPORT_INTERVAL),
      }),
    );
  }
  let prometheus: PrometheusExporter | undefined;
  if (plan.prometheus) {
    prometheus = new PrometheusExporter({
      host: settings.METRICS_HOST,
      port: settings.METRICS_PORT,
      preventServerStart: true,
      // The service's identity once, in target_info, not on every series.
      withoutScopeInfo: true,
    });
    await prometheus.startServer();
    readers.push(prometheus);
  }
  registerOTel({
    serviceName: settings.OTEL_SERVICE_NAME,
    // One per process: API workers export the same series, which a collector must not merge into one.
    attributes: { 'service.instance.id': `${hostname()}-${process.pid}` },
    metricReaders: readers,
    // Next.js's and the fetch instrumentation's spans name URLs: scrubbed before the exporter sees them.
    spanProcessors: [new ScrubbingSpanProcessor(), 'auto'],
    // Metrics only (Prometheus without an OTLP endpoint): no span is recorded at all.
    ...(plan.traces ? {} : { traceSampler: 'always_off' as const }),
  });
  setTelemetry(createOtelTelemetry());
  const meterProvider = () => metrics.getMeterProvider() as { forceFlush?: () => Promise<void>; shutdown?: () => Promise<void> };
  const flush = async () => {
    await sdkTracerProvider()?.forceFlush?.();
    await meterProvider().forceFlush?.();
  };
  return {
    plan,
    metricsUrl: prometheus ? `http://${settings.METRICS_HOST}:${settings.METRICS_PORT}/metrics` : undefined,
    flush,
    async shutdown() {
      await flush().catch(() => undefined);
      setTelemetry(undefined);
      await sdkTracerProvider()?.shutdown?.();
      await meterProvider().shutdown?.();
    },
  };
}
