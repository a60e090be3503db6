/** "1 other device was" / "3 devices were": how many sessions something signed out, in words. */
export function devicesWere(count: number, kind: 'other' | 'any' = 'any'): string {
  const noun = kind === 'other' ? 'other device' : 'device';
  return count === 1 ? `1 ${noun} was` : `${count} ${noun}s were`;
}
