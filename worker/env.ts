import type { ClickMessage } from './domain/clicks';

export type Env = {
  DB: D1Database;
  CLICKS: Queue<ClickMessage>;
  ASSETS: Fetcher;
  ENVIRONMENT: string;
  LINK_CACHE_TTL_MS: string;
  IDENTITY_SECRET: string;
  SESSION_SECRET: string;
  SECRETS_KEY: string;
  CODE_CACHE_TTL_MS: string;
  CODE_CHECK_LIMITER: RateLimit;
  LOGIN_IP_LIMITER: RateLimit;
  LOGIN_ACCOUNT_LIMITER: RateLimit;
};

export type AdminPrincipal = { brandId: string; keyId: string };

export type CreatorPrincipal = { sessionId: string; creatorId: string };

export type AppEnv = {
  Bindings: Env;
  Variables: { admin: AdminPrincipal; creator: CreatorPrincipal };
};
