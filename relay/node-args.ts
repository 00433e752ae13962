/**
 * How a relay process is started (`npm run relay`, `npm start`, the test harness): one definition.
 * A relay allocates a Buffer per RTP packet, so V8 grows its young generation to the 32 MB maximum
 * and keeps it; capping each semi-space at 8 MB kept RSS within 6% over 500 pull/terminate cycles
 * (it grew 22% otherwise). On Node 24, V8 sizes the old generation from the machine's memory and let it
 * grow to ~80 MB between major collections (RSS +72% over 500 cycles); a 512 MB old-space limit keeps it
 * near Node 20's (+18%, +3% after cycle 100; Node 20 +8.5%) at no CPU cost, and is over three times the
 * whole RSS of a relay with 40 pulls
 * (bench/RESULTS.md, B6 and B3).
 */
export const RELAY_NODE_ARGS = ['--max-semi-space-size=8', '--max-old-space-size=512', '--import', 'tsx', 'relay/main.ts'];
