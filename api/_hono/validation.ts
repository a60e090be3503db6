/** @module Request-body parsing: JSON only, size-limited, validated by strict zod schemas (unknown fields are refused). */
import type { Context } from 'hono';
import { z } from 'zod';
import { emailField, firstIssue } from '../../lib/auth/input';
import { ApiError } from './errors';

/** Largest accepted request body, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

export const refreshBody = z.strictObject({ refresh_token: z.string().max(512).optional() });

const optionalText = z.string().max(8192).nullish();
export const oauthBody = z.strictObject({
  provider: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'provider must be a lower-case provider id'),
  providerAccountId: z.string().min(1).max(255),
  profile: z.strictObject({
    email: emailField,
    emailVerified: z.boolean(),
    name: z.string().max(200).nullish(),
    image: z.string().max(2048).nullish(),
  }),
  tokens: z
    .strictObject({
      type: z.string().max(20).default('oauth'),
      accessToken: optionalText,
      refreshToken: optionalText,
      idToken: optionalText,
      expiresAt: z.number().int().nullish(),
      tokenType: z.string().max(40).nullish(),
      scope: z.string().max(2048).nullish(),
    })
    .default({ type: 'oauth' }),
  /** The person's browser (IP, user agent) as NextAuth saw it, for the device list. */
  client: z.strictObject({ ip: z.string().max(100).nullish(), userAgent: z.string().max(1024).nullish() }).optional(),
});

/** 415 unless the request declares a JSON content type (`application/json`, `application/*+json`), body or not. */
export function requireJsonContentType(c: Context): void {
  if (!/^application\/(.+\+)?json\b/i.test(c.req.header('content-type') ?? '')) {
    throw new ApiError('unsupported_media_type', 'Content-Type must be application/json.');
  }
}

/** Reads the raw body as text, requiring JSON when a body is present. */
export async function readBodyText(c: Context): Promise<string> {
  const text = await c.req.text();
  if (text.length > 0) requireJsonContentType(c);
  return text;
}

/** Parses JSON text against a schema; 400 `invalid_request` naming the first bad field. */
export function parseBody<T extends z.ZodType>(schema: T, text: string): z.infer<T> {
  let json: unknown;
  try {
    json = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new ApiError('invalid_request', 'Request body is not valid JSON.');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new ApiError('invalid_request', firstIssue(result.error));
  }
  return result.data;
}

/** Reads and validates a JSON body in one step. */
export async function readJson<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  return parseBody(schema, await readBodyText(c));
}
