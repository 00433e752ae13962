/**
 * Signed tokens (JWTs) checked on the relay with no backend: HS256 with a shared secret, ES256 or EdDSA with public
 * keys given as a JWKS (in the setting or a file) or fetched from a JWKS URL (jose refetches on an unknown `kid`, so
 * keys rotate by `kid`). `exp` and `nbf` are enforced, `siphon_permissions` says what the holder may do.
 */
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { permissionSchema, type Permission } from './permission.ts';

export interface Grant {
  sub?: string;
  jti?: string;
  /** ms since the epoch; none: the grant does not end by itself. */
  expiresAt?: number;
  /** `iat` in ms: a revocation by `sub` refuses the tokens issued up to it. */
  issuedAt?: number;
  permissions: Permission[];
}

export class TokenError extends Error {
  override name = 'TokenError';
}

export interface TokenKeys {
  /** HS256 shared secret. */
  secret: string;
  /** A JWKS (`{"keys": [...]}`), or the path of a file holding one. */
  publicKeys: string;
  jwksUrl: string;
}

const claimsSchema = z.object({ siphon_permissions: z.array(permissionSchema).max(100).default([]) });
const ASYMMETRIC = ['ES256', 'EdDSA', 'Ed25519'];

export class TokenVerifier {
  readonly #secret?: Uint8Array;
  readonly #keys?: JWTVerifyGetKey;

  constructor(keys: TokenKeys) {
    if (keys.secret) this.#secret = new TextEncoder().encode(keys.secret);
    if (keys.jwksUrl) this.#keys = createRemoteJWKSet(new URL(keys.jwksUrl), { timeoutDuration: 2000, cooldownDuration: 5000 });
    else if (keys.publicKeys) this.#keys = createLocalJWKSet(readJwks(keys.publicKeys));
  }

  get configured(): boolean {
    return this.#secret !== undefined || this.#keys !== undefined;
  }

  async verify(token: string): Promise<Grant> {
    const payload = await this.#verify(token).catch((err: unknown) => { throw new TokenError(reasonOf(err)); });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new TokenError(`siphon_permissions: ${claims.error.issues[0]?.message}`);
    return {
      ...(payload.sub ? { sub: payload.sub } : {}), ...(payload.jti ? { jti: payload.jti } : {}),
      ...(payload.exp ? { expiresAt: payload.exp * 1000 } : {}), ...(payload.iat ? { issuedAt: payload.iat * 1000 } : {}), permissions: claims.data.siphon_permissions,
    };
  }

  async #verify(token: string): Promise<JWTPayload> {
    const alg = algorithmOf(token);
    if (alg === 'HS256' && this.#secret) return (await jwtVerify(token, this.#secret, { algorithms: ['HS256'] })).payload;
    if (ASYMMETRIC.includes(alg) && this.#keys) return (await jwtVerify(token, this.#keys, { algorithms: ASYMMETRIC })).payload;
    throw new TokenError(`tokens signed with ${alg} are not accepted here`);
  }
}

function algorithmOf(token: string): string {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { alg?: unknown };
    return typeof header.alg === 'string' ? header.alg : 'none';
  } catch {
    throw new TokenError('not a JWT');
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof TokenError) return err.message;
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim}: ${err.reason}`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key for its kid';
  if (err instanceof errors.JOSEError) return err.code.replace(/^ERR_/, '').toLowerCase().replaceAll('_', ' ');
  return 'not a valid token';
}

function readJwks(value: string): { keys: Record<string, unknown>[] } {
  const text = value.trim().startsWith('{') ? value : readFileSync(value, 'utf8');
  const parsed = JSON.parse(text) as { keys?: unknown };
  if (!Array.isArray(parsed.keys)) throw new TokenError('SIPHON_TOKEN_PUBLIC_KEYS: expected a JWKS, {"keys": [...]}');
  return parsed as { keys: Record<string, unknown>[] };
}
