/** @module A rate-limit rule: `tokens` requests per `windowSeconds`, written "30/60" in env. */

/** `tokens` requests per `windowSeconds`. */
export interface LimitRule {
  tokens: number;
  windowSeconds: number;
}

/** Parses `"30/60"` (30 requests per 60 seconds); null when malformed or zero. */
export function parseRule(text: string): LimitRule | null {
  const match = /^(\d{1,7})\/(\d{1,7})$/.exec(text.trim());
  if (!match) return null;
  const rule = { tokens: Number(match[1]), windowSeconds: Number(match[2]) };
  return rule.tokens > 0 && rule.windowSeconds > 0 ? rule : null;
}
