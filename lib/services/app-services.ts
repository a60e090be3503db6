/** @module Wiring of the full auth service (token services + the user store) from config. */
import { EmailChanges } from '../auth/email-change';
import { EmailVerifications } from '../auth/email-verification';
import { PasswordResets } from '../auth/password-reset';
import { AuthService } from '../auth/service';
import { createMailer } from '../mail/mailer';
import { getPrisma } from '../db/client';
import { PrismaUserRepository } from '../users/prisma-repository';
import type { UserRepository } from '../users/repository';
import { getTokenServices, type TokenServices } from './token-services';
import { MfaNotifier } from '../mfa/events';
import { MfaService } from '../mfa/service';
import { SecretBox } from '../mfa/secret-box';
import { PrismaMfaStore, type MfaStore } from '../mfa/store';
import { PasskeyService } from '../passkeys/service';
import { PrismaPasskeyStore, type PasskeyStore } from '../passkeys/store';
import { AssuranceStore } from '../tokens/assurance';
import type { AppPrismaClient } from '../db/client';

/** Everything the API needs. */
export interface AppServices extends TokenServices {
  auth: AuthService;
  passwordResets: PasswordResets;
  /** Null when EMAIL_VERIFICATION is "off". */
  emailVerifications: EmailVerifications | null;
  /** Null when MAIL_TRANSPORT is "none" (the new address could not be sent its link). */
  emailChanges: EmailChanges | null;
  users: UserRepository;
  /** TOTP, recovery codes, the second sign-in step and step-up. */
  mfa: MfaService;
  passkeys: PasskeyService;
}

/** Where second factors and passkeys are stored. */
export interface FactorStores {
  mfa: MfaStore;
  passkeys: PasskeyStore;
}

/** The factor stores on a Prisma client. */
export function prismaFactorStores(db: AppPrismaClient | Promise<AppPrismaClient>): FactorStores {
  return { mfa: new PrismaMfaStore(db), passkeys: new PrismaPasskeyStore(db) };
}

/** Builds the app services from token services and a user store. */
export function buildAppServices(tokens: TokenServices, users: UserRepository, stores: FactorStores): AppServices {
  const { config } = tokens;
  const mailer = createMailer(config, tokens.redis);
  const notifier = new MfaNotifier(tokens.rotation, mailer);
  const mfa = new MfaService({
    store: stores.mfa,
    passkeys: stores.passkeys,
    box: new SecretBox(config.MFA_ENCRYPTION_KEY),
    redis: tokens.redis,
    limits: tokens.limits,
    issuer: tokens,
    assurance: new AssuranceStore(tokens.redis),
    users,
    notifier,
    issuerName: config.webauthn.rpName,
    stepUpMaxAgeSeconds: config.STEP_UP_MAX_AGE_SECONDS,
  });
  const passkeys = new PasskeyService({
    store: stores.passkeys,
    redis: tokens.redis,
    limits: tokens.limits,
    issuer: tokens,
    users,
    mfa,
    notifier,
    rp: config.webauthn,
  });
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
  // What every mailed-link use case that ends sessions needs.
  const linkDeps = {
    users,
    sessions: tokens.sessions,
    rotation: tokens.rotation,
    limits: tokens.limits,
    redis: tokens.redis,
    appUrl: config.APP_URL,
  };
  const passwordResets = new PasswordResets({
    ...linkDeps,
    mailer,
    ttlSeconds: tokens.config.PASSWORD_RESET_TTL_SECONDS,
    passwordIterations: tokens.config.PASSWORD_PBKDF2_ITERATIONS,
  });
  const emailChanges = mailer
    ? new EmailChanges({
        ...linkDeps,
        mailer,
        ttlSeconds: config.EMAIL_VERIFICATION_TTL_SECONDS,
        resets: passwordResets,
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
    emailChanges,
    secondFactor: mfa,
  });
  return { ...tokens, auth, passwordResets, emailVerifications, emailChanges, users, mfa, passkeys };
}

let cached: Promise<AppServices> | undefined;

/** The process-wide app services, built from process.env on first use. */
export function getAppServices(): Promise<AppServices> {
  cached ??= getTokenServices().then((tokens) =>
    buildAppServices(tokens, new PrismaUserRepository(getPrisma()), prismaFactorStores(getPrisma())),
  );
  return cached;
}
