/**
 * Prints env lines that set rate limits to one rule, from the table in lib/rate-limit/table.ts, for
 * shell scripts that start servers for tests and load tests (every request comes from one machine).
 *   npx tsx scripts/rate-limits.ts 9999999/1                # every limit
 *   npx tsx scripts/rate-limits.ts 100000/60 --one-client   # the limits one client IP shares, and per session
 */
import { parseRule } from '../lib/rate-limit/rule';
import { limitOverrides, ONE_CLIENT_SCOPES } from '../lib/rate-limit/table';

const [rule, flag] = process.argv.slice(2);
if (!rule || !parseRule(rule) || (flag !== undefined && flag !== '--one-client')) {
  console.error('usage: tsx scripts/rate-limits.ts <requests>/<seconds> [--one-client]');
  process.exit(2);
}
const overrides = flag ? limitOverrides(rule, [...ONE_CLIENT_SCOPES, 'session']) : limitOverrides(rule);
for (const [name, value] of Object.entries(overrides)) console.log(`${name}=${value}`);
