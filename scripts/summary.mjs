// Prints the closing line CI reads ("N passed, N failed") from vitest's JSON report.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.run/vitest.json';
try {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const failed = r.numFailedTests + (r.numRuntimeErrorTests ?? 0);
  console.log(`${r.numPassedTests} passed, ${failed} failed${r.numPendingTests ? `, ${r.numPendingTests} skipped` : ''}`);
} catch (err) {
  console.log(`0 passed, 1 failed (no vitest report: ${err.message})`);
}
