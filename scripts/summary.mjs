// Prints the closing line CI reads ("N passed, N failed") from one or more vitest JSON reports.
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2).length ? process.argv.slice(2) : ['.run/vitest.json'];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numRuntimeErrorTests ?? 0);
    skipped += r.numPendingTests ?? 0;
    if (r.numTotalTestSuites > 0 && r.success === false && r.numFailedTests === 0) failed += 1; // a suite that crashed
  } catch (err) {
    console.error(`no vitest report ${file}: ${err.message}`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
