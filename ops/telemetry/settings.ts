/** @module What telemetry the environment asks for: shared by the Node and the edge registration. */
import type { TelemetrySettings } from '../../lib/config/env';

/** Which signals are on. Off entirely when no OTLP endpoint and no METRICS_PORT is set. */
export interface TelemetryPlan {
  traces: boolean;
  otlpMetrics: boolean;
  prometheus: boolean;
}

/** Reads the plan from the parsed settings. */
export function telemetryPlan(settings: TelemetrySettings, runtime: 'nodejs' | 'edge'): TelemetryPlan {
  const any = Boolean(settings.OTEL_EXPORTER_OTLP_ENDPOINT);
  return {
    traces: any || Boolean(settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
    // No metric exporter runs on the edge: outcomes travel as span attributes and log fields there.
    otlpMetrics: runtime === 'nodejs' && (any || Boolean(settings.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT)),
    prometheus: runtime === 'nodejs' && settings.METRICS_PORT !== undefined,
  };
}

/** True when nothing is to be exported: nothing is registered, and the facade stays a no-op. */
export const isOff = (plan: TelemetryPlan) => !plan.traces && !plan.otlpMetrics && !plan.prometheus;
