#!/usr/bin/env node
// npm test: the type check, then every suite this machine can run, and a word on what it skipped.
// Suites that do not share a database run side by side; each one's output is printed whole when it ends.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const totals = { passed: 0, failed: 0, pending: 0 };
const skipped = [];
const broken = [];

function run(title, cmd, args, env = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('close', (status) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      console.log(`\n=== ${title} (${seconds} s)\n${out.replace(/^npm warn .*\n/gm, '')}`);
      resolve({ status, out });
    });
  });
}

async function mocha(title, globs, env = {}) {
  const res = await run(title, 'npx', ['mocha', '--import=tsx', '--exit', '--timeout', '30000', ...globs], env);
  const count = (word) => Number((new RegExp(`(\\d+) ${word}`).exec(res.out) ?? [])[1] ?? 0);
  totals.passed += count('passing');
  totals.failed += count('failing');
  totals.pending += count('pending');
  if (res.status !== 0 && count('failing') === 0) broken.push(title);
}

async function browserTests() {
  if (fs.existsSync(chromium)) {
    await mocha('browser tests (Chromium)', ['test/e2e/**/*.test.ts'], { CHROMIUM_PATH: chromium, TEST_DATABASE_URL: '' });
  } else {
    skipped.push(`browser tests: no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`);
  }
}

const suites = [
  run('type check (tsc --noEmit)', 'npx', ['tsc', '--noEmit', '-p', '.']).then((res) => {
    if (res.status !== 0) broken.push('type check');
  }),
  run('imports run one way (dependency-cruiser, npm run check:imports)', 'node', ['test/check-imports.js']).then((res) => {
    if (res.status !== 0) broken.push('imports');
  }),
  run('no unused code (knip, npm run check:unused)', 'npx', ['knip']).then((res) => {
    if (res.status !== 0) broken.push('unused code');
  }),
  // The browser tests follow the SQLite suite, beside the (longer) PostgreSQL suite: CI's wall time is the longer of the two lines.
  mocha('unit and integration tests on SQLite', ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'], { TEST_DATABASE_URL: '' }).then(browserTests),
];
if (process.env.TEST_DATABASE_URL) {
  suites.push(mocha('integration tests on PostgreSQL', ['test/integration/**/*.test.ts']));
} else {
  skipped.push('PostgreSQL suite: TEST_DATABASE_URL is not set (.ci/run sets it)');
}
await Promise.all(suites);


console.log('');
for (const s of skipped) console.log(`skipped: ${s}`);
for (const b of broken) console.log(`did not run to the end: ${b} (see above)`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.pending} skipped`);
process.exit(totals.failed > 0 || broken.length ? 1 : 0);
