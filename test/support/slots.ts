/**
 * Redis Cluster slot checks for recorded commands: a script or multi-key command whose keys hash to
 * different slots fails with CROSSSLOT on a cluster, so tests refuse it on a single redis-server too.
 */
import { getKeyIndexes } from '@ioredis/commands';
import calculateSlot from 'cluster-key-slot';
import type { Cmd } from '../../tools/upstash-bridge/server';

/** The keys a command names (EVAL/EVALSHA: its declared KEYS), as ioredis Cluster finds them for routing. */
export function keysOf(cmd: Cmd): string[] {
  const [name, ...args] = cmd;
  let indexes: number[];
  try {
    indexes = getKeyIndexes(name.toLowerCase(), args);
  } catch {
    return []; // a command ioredis does not know names no keys it could route by
  }
  return indexes.map((i) => String(args[i]));
}

/** The slot of a key, honouring {hash tags}. */
export const slotOf = (key: string): number => calculateSlot(key);

/** The commands whose keys span more than one slot. */
export function crossSlotCommands(commands: Cmd[]): Cmd[] {
  return commands.filter((cmd) => new Set(keysOf(cmd).map(slotOf)).size > 1);
}

/** Throws, naming the commands, when any of them passes keys of different slots. */
export function assertSingleSlot(commands: Cmd[]): void {
  const bad = crossSlotCommands(commands);
  if (bad.length === 0) return;
  const shown = bad.slice(0, 5).map(
    (cmd) =>
      `${cmd[0]} ${keysOf(cmd)
        .map((k) => `${k} (slot ${slotOf(k)})`)
        .join(', ')}`,
  );
  throw new Error(
    `${bad.length} Redis command(s) pass keys of different cluster slots (CROSSSLOT on Redis Cluster):\n  ${shown.join('\n  ')}`,
  );
}
