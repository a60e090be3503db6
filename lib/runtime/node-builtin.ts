/** @module Node built-in modules looked up at run time, so that edge bundles never contain a `node:*` import. */
import { isEdgeRuntime } from './next-turn';

/**
 * The built-in module `id` (e.g. `node:crypto`) when running on Node ≥ 20.16 (`process.getBuiltinModule`);
 * undefined on the edge runtime or an older Node, where callers fall back to Web-standard code.
 */
export function nodeBuiltin<T>(id: `node:${string}`): T | undefined {
  if (isEdgeRuntime) return undefined;
  // Through globalThis, like next-turn.ts: bundlers must not see a Node API here.
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule(id) as T | undefined) : undefined;
}
