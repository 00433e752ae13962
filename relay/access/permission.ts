/**
 * What a credential lets its holder do: a list of (action, stream) pairs, the `siphon_permissions` claim of a
 * token (MediaMTX's permission shape, so tokens carry over). A stream is a name, a prefix ending in `*`, or `*`.
 */
import { z } from 'zod';

export const ACTIONS = ['publish', 'play', 'record', 'api'] as const;
export type Action = typeof ACTIONS[number];

export const permissionSchema = z.object({
  action: z.enum(ACTIONS),
  stream: z.string().min(1).max(256).default('*'),
});
export type Permission = z.infer<typeof permissionSchema>;

function matches(pattern: string, stream: string): boolean {
  return pattern.endsWith('*') ? stream.startsWith(pattern.slice(0, -1)) : pattern === stream;
}

export function covers(permissions: readonly Permission[], action: Action, stream: string): boolean {
  return permissions.some((p) => p.action === action && matches(p.stream, stream));
}
