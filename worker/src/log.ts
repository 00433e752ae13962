/** The edge's log: one JSON line per event (`wrangler tail` and Workers Logs read them). */
export function log(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ t: new Date().toISOString(), event, ...fields }));
}
