/**
 * What `wrangler types` cannot know about the worker's Env: the secrets (set with `wrangler secret put`,
 * never in wrangler.toml). All are optional, so they are typed here rather than with wrangler's
 * `secrets.required`, which would make deploys fail without them. A script, not a module, so these merge
 * into the generated global declarations (worker/worker-configuration.d.ts); .ts, not .d.ts, so tsc checks
 * it despite skipLibCheck.
 */
declare namespace Cloudflare {
  interface Env {
    /** Named API keys with scopes, stored hashed (JSON, as SIPHON_REST_KEYS; docs/api/rest.md). Unset with API_TOKEN: every API call is 503 unless LOCAL_DEV is set. */
    API_KEYS?: string;
    /** Legacy: one bearer token with every scope; prefer API_KEYS. */
    API_TOKEN?: string;
    /** `true` only for `wrangler dev` on a developer's machine (npm start and the tests pass it): an edge without a token is open. */
    LOCAL_DEV?: string;
    /** JSON `{"<relay id>": "<bearer token>"}` for the relays in RELAYS: each relay's SIPHON_REST_TOKEN, or a key of its SIPHON_REST_KEYS with the scopes pull, terminate, stat, metrics and access. */
    RELAY_TOKENS?: string;
    /** The relays' SIPHON_HLS_SESSION_SECRET: the edge checks guarded relays' HLS session paths with it and caches their media for every viewer. */
    HLS_SESSION_SECRET?: string;
    /** The token relays join with (their SIPHON_EDGE_JOIN_TOKEN). Unset: no relay can join; only RELAYS. */
    RELAY_JOIN_TOKEN?: string;
    /** How often a member heartbeats (s, default 5): told to each relay when it joins. */
    HEARTBEAT_SECONDS?: string;
    /** A member without a heartbeat for this long is counted gone (s, default 15). */
    MEMBER_EXPIRE_SECONDS?: string;
    /** How many copies each copy of a stream feeds at most, the origin's included (default 4). */
    FANOUT?: string;
    /** An on-demand copy with no viewer and no child for this long is dropped (s, default 30). */
    IDLE_SECONDS?: string;
    /** Copies kept whether watched or not: JSON `{"<stream>": ["<relay>", …]}` (the relays are members). */
    WARM_STREAMS?: string;
    /** How long a relay must fail every check before reconciliation moves its pulls elsewhere (s, default 30). */
    MOVE_AFTER_SECONDS?: string;
  }
}

/** The generated `Env` and `Cloudflare.Env` (what `cloudflare:test` and `cloudflare:workers` hand out) are one type. */
interface Env extends Cloudflare.Env {}
