/** The edge's numeric settings (vars in wrangler.toml or --var), each with its default and its check, in one place. */
import { DEFAULT_FANOUT } from './tree.ts';

const DEFAULT_MOVE_AFTER_S = 30;
const DEFAULT_HEARTBEAT_S = 5;
const DEFAULT_EXPIRE_S = 15;
const DEFAULT_IDLE_S = 30;

/** A whole number ≥ 1, else the default (a bad value is not a reason to stop serving). */
const positive = (v: string | undefined, fallback: number) => {
  const n = Number(v ?? fallback);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
};

/** How long a relay must fail every check before reconciliation moves its pulls (0 allowed: at once). */
export const moveAfterMs = (env: Env) => {
  const s = Number(env.MOVE_AFTER_SECONDS ?? DEFAULT_MOVE_AFTER_S);
  return (Number.isFinite(s) && s >= 0 ? s : DEFAULT_MOVE_AFTER_S) * 1000;
};
export const heartbeatSeconds = (env: Env) => positive(env.HEARTBEAT_SECONDS, DEFAULT_HEARTBEAT_S);
export const expireMs = (env: Env) => positive(env.MEMBER_EXPIRE_SECONDS, DEFAULT_EXPIRE_S) * 1000;
export const fanoutOf = (env: Env) => positive(env.FANOUT, DEFAULT_FANOUT);
export const idleMsOf = (env: Env) => positive(env.IDLE_SECONDS, DEFAULT_IDLE_S) * 1000;
