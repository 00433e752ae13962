/**
 * Equal or not, in a time that does not depend on where they differ: for secrets compared on the edge (workerd) and
 * in Node alike. By hand, not workerd's `crypto.subtle.timingSafeEqual`: Node has none, and the relay's unit tests run
 * the edge's checks in Node.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}
