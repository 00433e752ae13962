/** The one Durable Object holding the edge's state: claims, records, placements, members, revocations. */
export const claims = (env: Env) => env.EDGE_STATE.get(env.EDGE_STATE.idFromName('global'));

/** Changes this isolate made to the records (find_all shares an answer only among requests no change came between). */
export const writes = { count: 0 };
