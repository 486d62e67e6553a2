#!/usr/bin/env node
// Prints "N passed, N failed, N skipped" from a Playwright JSON report.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`reading ${file}: ${error.message}`);
  process.exit(1);
}
const stats = report.stats ?? {};
const passed = (stats.expected ?? 0) + (stats.flaky ?? 0);
const failed = stats.unexpected ?? 0;
const skipped = stats.skipped ?? 0;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
