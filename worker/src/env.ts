import type { NameClaims } from './claims.ts';
import type { RelayEnv } from './relays.ts';

/** Bindings and settings from wrangler.toml (vars) and secrets. */
export interface Env extends RelayEnv {
  PULLS: KVNamespace;
  NAME_CLAIMS: DurableObjectNamespace<NameClaims>;
  /** Bearer token clients must send; unset means no auth (local development). */
  API_TOKEN?: string;
}
