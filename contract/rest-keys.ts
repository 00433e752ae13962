/**
 * The REST API's named keys, shared by the relay (Node) and the edge (workerd), so Web Crypto only. A key set is JSON
 * `{"<name>": {"scopes": [...], "hashes": ["sha256:<hex>", ...]}}`: it holds hashes, never a key, and up to two per
 * name so a key can rotate (add the new hash, deploy, hand out the new key, remove the old hash). Clients send the
 * key as `Authorization: Bearer <key>` or as HTTP Basic `<name>:<key>`, which is what WCS tools send.
 *
 * SHA-256 and not a slow KDF: keys are 256-bit random secrets (`npm run key` makes them), not passwords a person
 * chose, so nobody can guess one back from its hash by trying likely values; a slow hash would only slow every call.
 */
import { z } from '@hono/zod-openapi';
import { sameBytes } from './same-bytes.ts';

export const SCOPES = ['pull', 'push', 'terminate', 'record', 'stat', 'metrics', 'access', 'relays'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who called: what a log line may name (never the key itself) and what the key may do. */
export interface RestKey {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
}

interface StoredKey extends RestKey {
  readonly hashes: readonly Uint8Array[];
}

/** The old single token (SIPHON_REST_TOKEN, API_TOKEN) is this key, with every scope. */
const LEGACY_NAME = 'legacy';
const EVERY_SCOPE: ReadonlySet<Scope> = new Set(SCOPES);

export class RestKeysError extends Error {
  override name = 'RestKeysError';
}

const HASH = /^sha256:[0-9a-f]{64}$/;
const KeyEntry = z.object({
  scopes: z.array(z.enum(SCOPES)).min(1),
  hashes: z.array(z.string().regex(HASH, 'a hash is "sha256:" and 64 lowercase hex digits'))
    .min(1).max(2, 'at most two hashes per key: the old and the new one while rotating'),
}).strict();
const KeySetJson = z.record(
  z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a key name is 1 to 64 letters, digits, dots, dashes and underscores')
    .refine((name) => name !== LEGACY_NAME, `"${LEGACY_NAME}" is the name of the old single token`),
  KeyEntry,
);

const KEY_SET_SHAPE = '{"<name>": {"scopes": ["pull", …], "hashes": ["sha256:<hex>"]}}';

function parseKeySet(json: string): StoredKey[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new RestKeysError(`not valid JSON; expected ${KEY_SET_SHAPE}`);
  }
  const parsed = KeySetJson.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const [name, ...field] = issue.path.map(String);
    const where = name === undefined ? '' : `key "${name}"${field.length ? ` ${field.join('.')}` : ''}: `;
    // A bad name comes as zod's "Invalid key in record", the rule it broke one level down.
    const message = issue.code === 'invalid_key' ? issue.issues[0]?.message ?? issue.message : issue.message;
    // Zod's messages name the rule broken, not the value: no hash reaches a log or an error body.
    throw new RestKeysError(`${where}${message}; expected ${KEY_SET_SHAPE}`);
  }
  return Object.entries(parsed.data).map(([name, { scopes, hashes }]) => ({
    name, scopes: new Set(scopes), hashes: hashes.map((h) => hexBytes(h.slice('sha256:'.length))),
  }));
}

const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** A key's entry in a key set: `sha256:<hex>`. */
export const hashRestKey = async (key: string) => `sha256:${hex(await sha256(key))}`;

function base64Text(value: string): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/** The key an Authorization header carries, and the name Basic gives with it. */
function credentialOf(authorization: string): { name?: string; key: string } | undefined {
  const [scheme = '', value, extra] = authorization.trim().split(/\s+/);
  if (!value || extra !== undefined) return undefined;
  if (/^bearer$/i.test(scheme)) return { key: value };
  if (!/^basic$/i.test(scheme)) return undefined;
  const pair = base64Text(value);
  const colon = pair?.indexOf(':') ?? -1;
  return pair && colon > 0 ? { name: pair.slice(0, colon), key: pair.slice(colon + 1) } : undefined;
}

export class RestKeys {
  private legacyHash?: Promise<Uint8Array>;

  private constructor(private readonly stored: readonly StoredKey[], private readonly legacyToken: string) {}

  /** The configured keys, or undefined when there are none (each edge then does what it does unguarded). */
  static from(keySetJson: string, legacyToken = ''): RestKeys | undefined {
    const stored = keySetJson.trim() ? parseKeySet(keySetJson) : [];
    // A key set that names no key (`{}`) is a mistake, not a wish to run open: refused like any bad key set.
    if (keySetJson.trim() && stored.length === 0) throw new RestKeysError('names no key: give at least one, e.g. {"ops": {"scopes": ["pull"], "hashes": ["sha256:…"]}} (npm run key)');
    return stored.length || legacyToken ? new RestKeys(stored, legacyToken) : undefined;
  }

  /** The key an Authorization header proves, if any. Every stored hash is compared, so timing tells nothing of which matched. */
  async authenticate(authorization: string | undefined): Promise<RestKey | undefined> {
    const credential = credentialOf(authorization ?? '');
    if (!credential) return undefined;
    const presented = await sha256(credential.key);
    let found: RestKey | undefined;
    for (const key of await this.all()) {
      for (const hash of key.hashes) {
        if (sameBytes(hash, presented) && (credential.name === undefined || credential.name === key.name)) found = key;
      }
    }
    return found ? { name: found.name, scopes: found.scopes } : undefined;
  }

  private async all(): Promise<readonly StoredKey[]> {
    if (!this.legacyToken) return this.stored;
    this.legacyHash ??= sha256(this.legacyToken);
    return [...this.stored, { name: LEGACY_NAME, scopes: EVERY_SCOPE, hashes: [await this.legacyHash] }];
  }
}
