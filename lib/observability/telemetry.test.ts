/** The facade: a no-op until registered, nothing registered without configuration, and labels that cannot leak. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { registerNodeTelemetry } from '../../ops/telemetry/node';
import { NOOP_TELEMETRY, safeLabel, telemetry } from './telemetry';

test('without an OTLP endpoint or METRICS_PORT nothing is registered and the facade stays the no-op', async () => {
  assert.equal(await registerNodeTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: '', METRICS_PORT: '' }), undefined);
  assert.equal(telemetry(), NOOP_TELEMETRY);
  assert.equal(telemetry().enabled, false);
  // No SDK behind the API's proxy: spans anyone starts are non-recording.
  assert.equal(trace.getTracer('x').startSpan('probe').isRecording(), false);
  assert.equal(await telemetry().span('s', 'internal', {}, async () => 42), 42);
});

test('a bad telemetry variable stops the start with its name', async () => {
  await assert.rejects(registerNodeTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }), /OTEL_EXPORTER_OTLP_ENDPOINT/);
  await assert.rejects(registerNodeTelemetry({ METRICS_PORT: '70000' }), /METRICS_PORT/);
});

test('labels: outcome words, rule names and route patterns pass; emails, IPs, ids and tokens become "other"', () => {
  for (const ok of [
    'rotated',
    'token_reused',
    'signInPerAccountIp',
    'unverified_account_claimed',
    '/api/v1/auth/sessions/:id',
    '200',
    'PIPELINE',
  ]) {
    assert.equal(safeLabel(ok), ok);
  }
  for (const bad of [
    'a@example.com',
    '203.0.113.7',
    '2001:db8::1',
    'cmx5l78pi0001c87d3q24zf2o',
    'uyMpjg8UmmQcNyJUxCN41g',
    'rt1.uyMpjg8UmmQcNyJUxCN41g.abc.def',
    'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.sig',
    'has space',
    '',
  ]) {
    assert.equal(safeLabel(bad), 'other', bad);
  }
});
