import type { ClickMessage } from './domain/clicks';

export type Env = {
  DB: D1Database;
  CLICKS: Queue<ClickMessage>;
  ASSETS: Fetcher;
  ENVIRONMENT: string;
  LINK_CACHE_TTL_MS: string;
  IDENTITY_SECRET: string;
  SESSION_SECRET: string;
};

export type AdminPrincipal = { brandId: string; keyId: string };

export type AppEnv = {
  Bindings: Env;
  Variables: { admin: AdminPrincipal };
};
