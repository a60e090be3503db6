/**
 * The shipped alert rules (ops/prometheus/alerts.yml) are valid for Prometheus (`promtool check rules`), and
 * fire as intended on synthetic series (`promtool test rules` on alerts.test.yml). Without promtool the test
 * fails with the install command: a check that silently skips is no check.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { requirePrometheusBinary } from '../../test/support/prometheus';

const dir = fileURLToPath(new URL('../../ops/prometheus/', import.meta.url));

/** Runs promtool in the rules' folder; its output on failure. */
function promtool(...args: string[]) {
  const result = spawnSync(requirePrometheusBinary('promtool'), args, { cwd: dir, encoding: 'utf8' });
  assert.equal(result.status, 0, `promtool ${args.join(' ')}:\n${result.stdout}${result.stderr}`);
  return result.stdout + result.stderr;
}

test('promtool check rules accepts ops/prometheus/alerts.yml', () => {
  assert.match(promtool('check', 'rules', 'alerts.yml'), /SUCCESS: \d+ rules found/);
});

test('promtool test rules: a theft wave, credential stuffing and Redis failures fire; the usual level does not', () => {
  assert.match(promtool('test', 'rules', 'alerts.test.yml'), /SUCCESS/);
});
