/**
 * How a relay process is started (`npm run relay`, `npm start`, the test harness): one definition.
 * A relay allocates a Buffer per RTP packet, so V8 grows its young generation to the 32 MB maximum
 * and keeps it; capping each semi-space at 8 MB kept RSS within 6% over 500 pull/terminate cycles
 * (it grew 22% otherwise) at no measurable CPU cost (bench/RESULTS.md, B6 and B3).
 */
export const RELAY_NODE_ARGS = ['--max-semi-space-size=8', '--import', 'tsx', 'relay/main.ts'];
