/**
 * @module Telemetry on the edge runtime (instrumentation.ts): traces through @vercel/otel (fetch exporters)
 * when an OTLP endpoint is set. No metric reader runs here; the outcome counters' labels ride on the request
 * span as attributes (lib/observability/telemetry.ts), and the same outcomes are log fields.
 */
import { registerOTel } from '@vercel/otel';
import { parseTelemetrySettings } from '../../lib/config/env';
import { createOtelTelemetry } from '../../lib/observability/otel';
import { setTelemetry } from '../../lib/observability/telemetry';
import { ScrubbingSpanProcessor } from './scrub';
import { isOff, telemetryPlan } from './settings';

/** Registers tracing if configured; returns whether it did. */
export function registerEdgeTelemetry(env: Record<string, string | undefined> = process.env): boolean {
  const settings = parseTelemetrySettings(env);
  const plan = telemetryPlan(settings, 'edge');
  if (isOff(plan)) return false;
  registerOTel({ serviceName: settings.OTEL_SERVICE_NAME, spanProcessors: [new ScrubbingSpanProcessor(), 'auto'] });
  setTelemetry(createOtelTelemetry());
  return true;
}
