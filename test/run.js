#!/usr/bin/env node
// npm test: the type check, then every suite this machine can run, and a word on what it skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const totals = { passed: 0, failed: 0, pending: 0 };
const skipped = [];
let broken = false;

function run(title, cmd, args, env = {}) {
  console.log(`\n=== ${title}`);
  const res = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(res.stdout ?? '');
  return res;
}

function mocha(title, globs, env = {}) {
  const res = run(title, 'npx', ['mocha', '--import=tsx', '--exit', '--timeout', '20000', ...globs], env);
  const count = (word) => Number((new RegExp(`(\\d+) ${word}`).exec(res.stdout ?? '') ?? [])[1] ?? 0);
  totals.passed += count('passing');
  totals.failed += count('failing');
  totals.pending += count('pending');
  if (res.status !== 0 && count('failing') === 0) broken = true;
}

const tsc = run('type check (tsc --noEmit)', 'npx', ['tsc', '--noEmit', '-p', '.']);
if (tsc.status !== 0) broken = true;

mocha('unit and integration tests on SQLite', ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'], { TEST_DATABASE_URL: '' });

if (process.env.TEST_DATABASE_URL) {
  mocha('integration tests on PostgreSQL', ['test/integration/**/*.test.ts']);
} else {
  skipped.push('PostgreSQL suite: TEST_DATABASE_URL is not set (.ci/run sets it)');
}

if (fs.existsSync(chromium)) {
  mocha('browser tests (Chromium)', ['test/e2e/**/*.test.ts'], { CHROMIUM_PATH: chromium });
} else {
  skipped.push(`browser tests: no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

console.log('');
for (const s of skipped) console.log(`skipped: ${s}`);
if (broken) console.log('a suite did not run to the end (see above)');
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.pending} skipped`);
process.exit(totals.failed > 0 || broken ? 1 : 0);
