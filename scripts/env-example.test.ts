/** Ops read .env.example to deploy: every variable any part of the app reads must be there, with a comment. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SERVER_VARIABLES } from '../api/_hono/server';
import { OAUTH_VARIABLES } from '../nextauth/oauth-providers';
import { CONFIG_VARIABLES, TELEMETRY_VARIABLES } from '../lib/config/env';
import { BRIDGE_VARIABLES } from '../tools/upstash-bridge/server';

const lines = readFileSync(new URL('../.env.example', import.meta.url), 'utf8').split('\n');

test('every variable of the config, telemetry, the standalone server, OAuth and the bridge is in .env.example with a comment', () => {
  const variables = new Set([
    ...CONFIG_VARIABLES,
    ...TELEMETRY_VARIABLES,
    ...SERVER_VARIABLES,
    ...OAUTH_VARIABLES,
    ...BRIDGE_VARIABLES,
  ]);
  assert.ok(variables.size > 30, 'the lists were read');
  for (const name of variables) {
    // Set (`NAME=`) or shown commented out (`# NAME=`), under a comment line that explains it.
    const at = lines.findIndex((line) => new RegExp(`^(# )?${name}=`).test(line));
    assert.notEqual(at, -1, `${name} is not in .env.example`);
    const above = lines
      .slice(0, at)
      .reverse()
      .find((line) => !/^(# )?[A-Z][A-Z0-9_]*=/.test(line));
    assert.ok(above?.startsWith('# ') && !above.startsWith('# ---'), `${name} has no comment above it`);
  }
});
