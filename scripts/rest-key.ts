/**
 * Makes a REST API key: `npm run key -- <name> [scopes…]` (no scopes: every scope). Prints the key once (only its
 * hash is kept anywhere) and the JSON entry to merge into the relay's SIPHON_REST_KEYS or the edge's API_KEYS.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { hashRestKey, RestKeys, RestKeysError, SCOPES, type Scope } from '../contract/rest-keys.ts';

/** A new key and its entry, checked by the same parser the relay and the edge use. */
export async function makeRestKey(name: string, scopes: readonly string[]): Promise<{ key: string; entry: string }> {
  // 256 random bits, base64url: a valid bearer token (RFC 6750) and a secret too long to guess, hence SHA-256 suffices.
  const key = randomBytes(32).toString('base64url');
  const entry = JSON.stringify({ [name]: { scopes: scopes.length ? scopes : SCOPES, hashes: [await hashRestKey(key)] } });
  RestKeys.from(entry);
  return { key, entry };
}

async function main(args: string[]): Promise<number> {
  const [name, ...scopes] = args;
  if (!name) {
    console.error(`usage: npm run key -- <name> [${SCOPES.join('|')}…]   (no scopes: all of them)`);
    return 2;
  }
  try {
    const { key, entry } = await makeRestKey(name, scopes as Scope[]);
    console.log(`key "${name}" (shown this once; keep it in the client's secrets):\n\n  ${key}\n`);
    console.log('its entry, for SIPHON_REST_KEYS (relay) or API_KEYS (edge): merge it into the JSON object there;');
    console.log('to rotate a key, add the new hash to that name\'s "hashes" next to the old one, deploy, then remove the old one:\n');
    console.log(`  ${entry}`);
    return 0;
  } catch (err) {
    if (!(err instanceof RestKeysError)) throw err;
    console.error(`npm run key: ${err.message}`);
    return 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
