/**
 * An OTLP/HTTP receiver in the test process: accepts what the app exports (JSON: OTEL_EXPORTER_OTLP_PROTOCOL=
 * http/json) on /v1/traces and /v1/metrics over real HTTP, and flattens it into spans and data points. Protobuf
 * bodies are refused with 415, so a test that forgot the protocol fails instead of collecting nothing.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An attribute value as OTLP JSON carries it. */
type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };

/** One exported span, flattened. */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  resource: Record<string, string | number | boolean>;
  status: { code?: number; message?: string } | undefined;
}

/** One exported data point: a sum's value or a histogram's count, with its labels. */
export interface CollectedPoint {
  metric: string;
  attributes: Record<string, string | number | boolean>;
  /** Sum: the (cumulative) value; histogram: the number of samples. */
  value: number;
  /** Histogram only: the sum of samples. */
  sum?: number;
  resource: Record<string, string | number | boolean>;
}

/** The receiver. */
export interface OtlpReceiver {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: CollectedSpan[];
  points: CollectedPoint[];
  /** Every raw body received, for checks that look at everything (no personal data anywhere). */
  raw: string[];
  close(): Promise<void>;
}

const value = (v: AnyValue): string | number | boolean =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue ?? ''));

const record = (list: KeyValue[] | undefined) =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)])) as Record<string, string | number | boolean>;

/** OTLP JSON ids are hex; some exporters send base64. Either way, compared as given. */
const id = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

/** Starts a receiver on 127.0.0.1 (an ephemeral port). */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: CollectedSpan[] = [];
  const points: CollectedPoint[] = [];
  const raw: string[] = [];
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    if (!String(request.headers['content-type'] ?? '').includes('json')) {
      response.writeHead(415).end('this receiver speaks OTLP/HTTP JSON only (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)');
      return;
    }
    raw.push(body);
    const parsed = JSON.parse(body) as Record<string, any>;
    if (request.url === '/v1/traces') {
      for (const rs of parsed.resourceSpans ?? []) {
        const resource = record(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: id(s.parentSpanId),
              name: s.name,
              kind: s.kind,
              attributes: record(s.attributes),
              resource,
              status: s.status,
            });
          }
        }
      }
    } else if (request.url === '/v1/metrics') {
      for (const rm of parsed.resourceMetrics ?? []) {
        const resource = record(rm.resource?.attributes);
        for (const sm of rm.scopeMetrics ?? []) {
          for (const m of sm.metrics ?? []) {
            for (const p of m.sum?.dataPoints ?? []) {
              points.push({
                metric: m.name,
                attributes: record(p.attributes),
                value: Number(p.asInt ?? p.asDouble ?? 0),
                resource,
              });
            }
            for (const p of m.histogram?.dataPoints ?? []) {
              points.push({ metric: m.name, attributes: record(p.attributes), value: Number(p.count), sum: p.sum, resource });
            }
          }
        }
      }
    } else {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    points,
    raw,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The newest value of a metric's data point with exactly these labels (0 before the first export of it). */
export function latestValue(points: CollectedPoint[], metric: string, labels: Record<string, string>): number {
  const matching = points.filter(
    (p) =>
      p.metric === metric &&
      Object.keys(labels).length === Object.keys(p.attributes).length &&
      Object.entries(labels).every(([k, v]) => p.attributes[k] === v),
  );
  return matching.at(-1)?.value ?? 0;
}
