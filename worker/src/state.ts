/** The one Durable Object holding the edge's state: claims, records, placements, members, revocations. */
export const claims = (env: Env) => env.EDGE_STATE.get(env.EDGE_STATE.idFromName('global'));
