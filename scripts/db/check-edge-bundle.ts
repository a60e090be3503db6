/** @module scripts/db/check-edge-bundle — `tsx scripts/db/check-edge-bundle.ts`: bundles lib/db/client.ts as Next.js does for an edge route and fails if pg, the Node client or any node:* module is reachable. */
import { build, type Plugin } from 'esbuild';

// The edge client loads its Wasm through `import("…wasm?module")`, which only Next.js/wrangler
// resolve; here it just needs to stay out of the way.
const wasmModule: Plugin = {
  name: 'wasm-module',
  setup(b) {
    b.onResolve({ filter: /\.wasm\?module$/ }, (args) => ({ path: args.path, external: true }));
  },
};

const result = await build({
  entryPoints: ['lib/db/client.ts'],
  bundle: true,
  write: false,
  metafile: true,
  format: 'esm',
  platform: 'neutral', // no Node built-ins: any node:* import fails to resolve or shows up below
  mainFields: ['module', 'main'],
  conditions: ['edge-light', 'worker', 'browser', 'import'],
  define: { 'process.env.NEXT_RUNTIME': '"edge"' }, // what Next.js inlines in edge bundles
  external: ['node:*'],
  plugins: [wasmModule],
  logLevel: 'silent',
});

const inputs = Object.keys(result.metafile.inputs);
const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
const forbidden = [
  ...inputs.filter((p) => /node_modules\/(pg|pg-[a-z-]+|@prisma\/adapter-pg)\//.test(p) || p.includes('generated/node/')),
  ...imports.filter((p) => p.startsWith('node:')),
];
const bytes = result.outputFiles.reduce((sum, file) => sum + file.contents.length, 0);
if (forbidden.length > 0) {
  console.error(`edge bundle of lib/db/client.ts reaches forbidden modules:\n  ${[...new Set(forbidden)].join('\n  ')}`);
  process.exitCode = 1;
} else {
  console.log(`ok: edge bundle of lib/db/client.ts has ${inputs.length} modules, ${(bytes / 1024).toFixed(0)} KiB JS (+ Wasm), no pg, no Node client, no node:* imports`);
}
