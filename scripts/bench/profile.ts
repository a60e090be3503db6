/**
 * @module Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function and per package.
 * Also runnable alone: `npx tsx scripts/bench/profile.ts file.cpuprofile [topN]`.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Frames whose inclusive time the summary shows: our code and the libraries on the refresh path. */
const inclusiveOf = (url: string) =>
  url.includes('node_modules/')
    ? /node_modules\/(jose|@upstash\/redis|hono|@hono\/node-server|zod)\//.test(url)
    : /\/(lib|api)\//.test(url);

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Which part of the profile to count, in ms since the profile started (≈ process start). */
export interface ProfileWindow {
  fromMs: number;
  toMs: number;
}

/** One row of the summary. */
export interface ProfileRow {
  name: string;
  selfMs: number;
  /** Share of the non-idle samples, in percent. */
  percent: number;
}

/** The summary of one profile. */
export interface ProfileSummary {
  file: string;
  wallMs: number;
  busyMs: number;
  idleMs: number;
  topFunctions: ProfileRow[];
  byGroup: ProfileRow[];
  /** Time including callees (synchronous part only: V8 splits async functions at each await). */
  inclusive: ProfileRow[];
}

/** Which package / area a frame belongs to, for the per-group totals. */
export function groupOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native/builtin)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm?.[1]) return nm[1];
  if (url.startsWith('node:internal/deps/undici')) return 'undici (fetch, inside node)';
  if (url.startsWith('node:internal/crypto') || url.startsWith('node:crypto')) return 'node crypto (webcrypto glue)';
  if (/^node:(_http|http|net|internal\/http|internal\/stream|internal\/streams|stream)/.test(url)) return 'node http/net/streams';
  if (url.startsWith('node:')) return 'node other';
  const ours = /\/(lib|api|tools|scripts)\/(.+)$/.exec(url);
  if (ours) return `ours: ${ours[1]}/${ours[2]}`;
  return url;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const ours = /\/(lib|api|tools|scripts)\/.+$/.exec(url);
  return ours ? ours[0].slice(1) : url.replace(/^file:\/\//, '');
}

/** Sample counts per node id, only for samples inside the window (all samples without one). */
function hitsInWindow(profile: CpuProfile, window: ProfileWindow | undefined): Map<number, number> {
  const hits = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (!window || !samples || !timeDeltas) {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
    return hits;
  }
  let t = 0;
  samples.forEach((id, i) => {
    t += timeDeltas[i] ?? 0;
    const ms = t / 1000;
    if (ms >= window.fromMs && ms <= window.toMs) hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  return hits;
}

/** Reads and summarizes a profile (optionally only the samples inside a time window, e.g. the load phase). */
export async function summarizeProfile(file: string, top = 15, window?: ProfileWindow): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const hitsById = hitsInWindow(profile, window);
  const totalHits = [...hitsById.values()].reduce((n, h) => n + h, 0) || 1;
  const profileMs = (profile.endTime - profile.startTime) / 1000;
  const wallMs = window ? Math.min(window.toMs, profileMs) - Math.min(window.fromMs, profileMs) : profileMs;
  const msPerHit = wallMs / totalHits;
  const byFunction = new Map<string, number>();
  const byGroup = new Map<string, number>();
  let idleHits = 0;
  for (const node of profile.nodes) {
    const hits = hitsById.get(node.id) ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleHits += hits;
      continue;
    }
    const name = url
      ? `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`
      : functionName || '(anonymous native)';
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const group = groupOf(url, functionName);
    byGroup.set(group, (byGroup.get(group) ?? 0) + hits);
  }
  const busyHits = totalHits - idleHits || 1;
  // Inclusive hits: each sample counts once for every distinct matching frame on its stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const frameName = (node: ProfileNode) =>
    `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
  const inclusive = new Map<string, number>();
  for (const [id, hits] of hitsById) {
    if (!hits) continue;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (!node || !inclusiveOf(node.callFrame.url)) continue;
      const name = frameName(node);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + hits);
    }
  }
  const rows = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, hits]) => ({ name, selfMs: Math.round(hits * msPerHit), percent: Math.round((1000 * hits) / busyHits) / 10 }));
  return {
    file,
    wallMs: Math.round(wallMs),
    busyMs: Math.round(busyHits * msPerHit),
    idleMs: Math.round(idleHits * msPerHit),
    topFunctions: rows(byFunction, top),
    byGroup: rows(byGroup, top),
    inclusive: rows(inclusive, top),
  };
}

/** Formats a summary as text. */
export function formatProfile(title: string, s: ProfileSummary): string {
  const line = (r: ProfileRow) => `    ${String(r.percent).padStart(5)}%  ${String(r.selfMs).padStart(6)} ms  ${r.name}`;
  return [
    `${title}: ${s.busyMs} ms busy of ${s.wallMs} ms (${Math.round((100 * s.busyMs) / Math.max(1, s.wallMs))}% of one core)`,
    '  self time by package/area (share of busy time):',
    ...s.byGroup.map(line),
    '  top functions by self time:',
    ...s.topFunctions.map(line),
    '  our code and refresh-path libraries by inclusive time (synchronous part):',
    ...s.inclusive.map(line),
  ].join('\n');
}

if (process.argv[1]?.endsWith('scripts/bench/profile.ts')) {
  const [file, top, fromMs, toMs] = process.argv.slice(2);
  if (!file) {
    console.error('usage: tsx scripts/bench/profile.ts file.cpuprofile [topN] [fromMs toMs]');
    process.exit(2);
  }
  const window = fromMs && toMs ? { fromMs: Number(fromMs), toMs: Number(toMs) } : undefined;
  console.log(formatProfile(file, await summarizeProfile(file, Number(top ?? 20), window)));
}
