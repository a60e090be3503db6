/**
 * @module The password policy, after NIST SP 800-63B: a minimum length counted in characters after NFKC
 * normalisation, no composition rules, and a blocklist (the most common passwords, repetitive or sequential
 * characters, the account's own email or name). Also a strength estimate for the hint shown while typing.
 * Pure functions, no I/O: the same code runs in the API, the pages' server actions and the browser.
 */
import { COMMON_PASSWORDS } from './common-passwords';

/** Shortest accepted new password, in characters (Unicode code points after NFKC). */
export const MIN_PASSWORD_CHARACTERS = 8;

/** Why a new password is refused. */
export type PasswordProblem = 'too_short' | 'common' | 'repetitive' | 'personal';

/** What is known about the account a password is chosen for, to refuse passwords made of it. */
export interface PasswordContext {
  email?: string | undefined;
  name?: string | null | undefined;
}

/** A person-facing sentence for each problem. */
export const PASSWORD_PROBLEM_MESSAGES: Record<PasswordProblem, string> = {
  too_short: `Use at least ${MIN_PASSWORD_CHARACTERS} characters.`,
  common: 'This is one of the most common passwords, so it is among the first ones attackers try. Choose another.',
  repetitive: 'Avoid repeated or sequential characters such as "aaaaaaaa" or "12345678". Choose another.',
  personal: 'Do not use your email address or name as your password. Choose another.',
};

/** The password as it is compared and hashed: NFKC, like `hashPassword` does. */
const normalized = (password: string) => password.normalize('NFKC');

/** Length in characters (code points) after NFKC: "ü" typed either way, or an emoji, counts once. */
export function passwordLength(password: string): number {
  let count = 0;
  for (const _ of normalized(password)) count++;
  return count;
}

let common: ReadonlySet<string> | undefined;
/** The blocklist as a set, built on first use (5,000 entries). */
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(COMMON_PASSWORDS.split('\n'));
  return common;
}

/** True when the password (any case) is on the shipped list of common passwords. */
export function isCommonPassword(password: string): boolean {
  const lower = normalized(password).toLowerCase();
  const set = commonPasswords();
  return set.has(lower) || set.has(lower.replace(/\s+/g, ''));
}

/** One character repeated, a short pattern repeated ("abababab"), or a run like "abcdefgh" / "87654321". */
function isRepetitive(password: string): boolean {
  const chars = Array.from(normalized(password).toLowerCase());
  if (chars.length === 0) return true;
  if (chars.every((c) => /\s/u.test(c))) return true;
  for (let unit = 1; unit <= 3; unit++) {
    if (chars.length >= unit * 2 && chars.every((c, i) => c === chars[i % unit])) return true;
  }
  const codes = chars.map((c) => c.codePointAt(0)!);
  const step = codes[1]! - codes[0]!;
  return Math.abs(step) === 1 && codes.every((code, i) => i === 0 || code - codes[i - 1]! === step);
}

/** Letters and digits only, lower-cased: "Ada.Lovelace" and "ada lovelace" are the same word. */
const bare = (text: string) =>
  normalized(text)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');

/** The password is the account's email, the email's local part, or the name, give or take case and punctuation. */
function isPersonal(password: string, context: PasswordContext): boolean {
  const candidate = bare(password);
  if (!candidate) return false;
  const email = context.email?.trim();
  const words = [email, email?.split('@')[0], context.name ?? undefined].filter((w): w is string => Boolean(w));
  return words.some((word) => bare(word).length >= 3 && bare(word) === candidate);
}

/** The first reason a new password is refused, or null when it may be used. */
export function passwordProblem(password: string, context: PasswordContext = {}): PasswordProblem | null {
  if (passwordLength(password) < MIN_PASSWORD_CHARACTERS) return 'too_short';
  if (isRepetitive(password)) return 'repetitive';
  if (isCommonPassword(password)) return 'common';
  if (isPersonal(password, context)) return 'personal';
  return null;
}

/** True when two passwords are the same once normalised, as `hashPassword` would see them. */
export function samePassword(a: string, b: string): boolean {
  return normalized(a) === normalized(b);
}

/** What the strength hint shows: a score from 0 (refused) to 4 and a word for it. */
export interface PasswordStrength {
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  /** Why it is refused, or how to make it stronger; absent when there is nothing to add. */
  advice?: string;
}

/**
 * A rough strength estimate for the hint while typing (the policy above decides; this only guides). Length
 * dominates, as it does for guessing: each character is worth the bits of the alphabet it seems drawn from.
 */
export function passwordStrength(password: string, context: PasswordContext = {}): PasswordStrength {
  const problem = passwordProblem(password, context);
  if (problem)
    return { score: 0, label: problem === 'too_short' ? 'Too short' : 'Not allowed', advice: PASSWORD_PROBLEM_MESSAGES[problem] };
  const text = normalized(password);
  let alphabet = 0;
  if (/\p{Ll}/u.test(text)) alphabet += 26;
  if (/\p{Lu}/u.test(text)) alphabet += 26;
  if (/\p{N}/u.test(text)) alphabet += 10;
  if (/[^\p{L}\p{N}]/u.test(text)) alphabet += 33;
  if (/[^\u0000-\u007f]/u.test(text)) alphabet += 100;
  const distinct = new Set(Array.from(text)).size;
  const bits = Math.log2(Math.max(alphabet, 2)) * Math.min(passwordLength(text), distinct * 2);
  if (bits < 45) return { score: 1, label: 'Weak', advice: 'Longer is stronger: try a few unrelated words.' };
  if (bits < 60) return { score: 2, label: 'Fair', advice: 'A few more characters or another word would make it stronger.' };
  if (bits < 80) return { score: 3, label: 'Good' };
  return { score: 4, label: 'Strong' };
}
