/**
 * @module scripts/db/check-edge-bundle — `tsx scripts/db/check-edge-bundle.ts`: bundles lib/db/client.ts and
 * the edge API route (which holds the token path: lib/tokens/token-crypto.ts picks node:crypto only at run
 * time, on Node) as Next.js does for an edge route, and fails if pg, the Node client or any node:* module
 * is reachable from either.
 */
import { build, type Plugin } from 'esbuild';

// The edge client loads its Wasm through `import("…wasm?module")`, which only Next.js/wrangler
// resolve; here it just needs to stay out of the way.
const wasmModule: Plugin = {
  name: 'wasm-module',
  setup(b) {
    b.onResolve({ filter: /\.wasm\?module$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/** Bundles one entry for the edge; returns its inputs, the node:* imports and forbidden packages it reaches, and its size. */
async function edgeBundle(entry: string) {
  const result = await build({
    entryPoints: [entry],
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
  return { inputs, forbidden: [...new Set(forbidden)], bytes };
}

const API_ROUTE = 'app/api/v1/[[...route]]/route.ts';
const TOKEN_PATH = [
  'lib/tokens/token-crypto.ts',
  'lib/tokens/refresh-token.ts',
  'lib/tokens/access-token.ts',
  'lib/tokens/keys.ts',
];
for (const entry of ['lib/db/client.ts', API_ROUTE]) {
  const { inputs, forbidden, bytes } = await edgeBundle(entry);
  // The route must really contain the token path, or this check would pass for the wrong reason.
  const missing = entry === API_ROUTE ? TOKEN_PATH.filter((file) => !inputs.includes(file)) : [];
  if (forbidden.length > 0 || missing.length > 0) {
    if (forbidden.length > 0) console.error(`edge bundle of ${entry} reaches forbidden modules:\n  ${forbidden.join('\n  ')}`);
    if (missing.length > 0) console.error(`edge bundle of ${entry} lacks the token path: ${missing.join(', ')}`);
    process.exitCode = 1;
  } else {
    console.log(
      `ok: edge bundle of ${entry} has ${inputs.length} modules, ${(bytes / 1024).toFixed(0)} KiB JS (+ Wasm), no pg, no Node client, no node:* imports`,
    );
  }
}
