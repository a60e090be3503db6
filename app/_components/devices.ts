/** "1 other device was signed out" / "No other device was signed in": how many sessions something signed out, as a sentence. */
export function devicesSignedOut(count: number, kind: 'other' | 'any' = 'any'): string {
  const noun = kind === 'other' ? 'other device' : 'device';
  if (count === 0) return kind === 'other' ? 'No other device was signed in.' : 'No device was signed in.';
  return count === 1 ? `1 ${noun} was signed out.` : `${count} ${noun}s were signed out.`;
}
