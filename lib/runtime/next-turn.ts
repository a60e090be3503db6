/** @module Runs a callback once the event loop turns: setImmediate on Node, a 0 ms timer on the edge runtime. */

/** True on Vercel's edge runtime and Next.js's local emulation of it (the documented `EdgeRuntime` global). */
export const isEdgeRuntime = typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === 'string';

// The edge sandbox defines setImmediate as a stub that throws, and Next.js refuses a direct reference
// to it in edge bundles: decide by runtime and look it up on globalThis.
const immediate = isEdgeRuntime ? undefined : (globalThis as { setImmediate?: (run: () => void) => unknown }).setImmediate;

/** Schedules `run` after the current turn, letting all work already queued in this turn join first. */
export const nextTurn: (run: () => void) => void = immediate ? (run) => void immediate(run) : (run) => void setTimeout(run, 0);
