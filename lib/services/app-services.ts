/** @module Wiring of the full auth service (token services + the user store) from config. */
import { EmailVerifications } from '../auth/email-verification';
import { PasswordResets } from '../auth/password-reset';
import { AuthService } from '../auth/service';
import { createMailer } from '../mail/mailer';
import { getPrisma } from '../db/client';
import { PrismaUserRepository } from '../users/prisma-repository';
import type { UserRepository } from '../users/repository';
import { getTokenServices, type TokenServices } from './token-services';

/** Everything the API needs. */
export interface AppServices extends TokenServices {
  auth: AuthService;
  passwordResets: PasswordResets;
  /** Null when EMAIL_VERIFICATION is "off". */
  emailVerifications: EmailVerifications | null;
  users: UserRepository;
}

/** Builds the app services from token services and a user store. */
export function buildAppServices(tokens: TokenServices, users: UserRepository): AppServices {
  const { config } = tokens;
  const mailer = createMailer(config, tokens.redis);
  // parseConfig refuses verification without mail; the check keeps the types honest.
  const emailVerifications =
    config.EMAIL_VERIFICATION !== 'off' && mailer
      ? new EmailVerifications({
          users,
          limits: tokens.limits,
          redis: tokens.redis,
          mailer,
          appUrl: config.APP_URL,
          ttlSeconds: config.EMAIL_VERIFICATION_TTL_SECONDS,
        })
      : null;
  const auth = new AuthService({
    users,
    sessions: tokens.sessions,
    rotation: tokens.rotation,
    keys: tokens.keys,
    accessTokens: tokens.accessTokens,
    passwordIterations: tokens.config.PASSWORD_PBKDF2_ITERATIONS,
    limits: tokens.limits,
    emailVerification: emailVerifications ? config.EMAIL_VERIFICATION : 'off',
    verifications: emailVerifications,
  });
  const passwordResets = new PasswordResets({
    users,
    sessions: tokens.sessions,
    rotation: tokens.rotation,
    limits: tokens.limits,
    redis: tokens.redis,
    mailer,
    appUrl: tokens.config.APP_URL,
    ttlSeconds: tokens.config.PASSWORD_RESET_TTL_SECONDS,
    passwordIterations: tokens.config.PASSWORD_PBKDF2_ITERATIONS,
  });
  return { ...tokens, auth, passwordResets, emailVerifications, users };
}

let cached: Promise<AppServices> | undefined;

/** The process-wide app services, built from process.env on first use. */
export function getAppServices(): Promise<AppServices> {
  cached ??= getTokenServices().then((tokens) => buildAppServices(tokens, new PrismaUserRepository(getPrisma())));
  return cached;
}
