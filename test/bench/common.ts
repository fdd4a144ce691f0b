// Shared pieces of `npm run bench`: the seeded random source, timing, loopback HTTP and the result rows.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The fixed moment the data set is built around; the benchmark's ManualClock stands here. */
export const NOW = new Date('2026-11-23T10:00:00Z');

/** A positive whole number from a BENCH_* variable, else the default. */
export function envCount(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, not "${raw}"`);
  return value;
}

/** mulberry32: the same data set every run. */
export function randomSource(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function elapsed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Median milliseconds of `runs` calls of `fn` and of its floor, after a warm-up of each. The two take
 * turns, so that a busy machine slows both alike and the ratio stays honest.
 */
export async function timeBeside(
  runs: number,
  fn: () => Promise<unknown> | unknown,
  floor: () => Promise<unknown> | unknown,
): Promise<{ ms: number; floorMs: number }> {
  for (let i = 0; i < 2; i++) {
    await fn();
    await floor();
  }
  const own: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < runs; i++) {
    own.push(await elapsed(fn));
    base.push(await elapsed(floor));
  }
  return { ms: median(own), floorMs: median(base) };
}

/**
 * Items per second of `fn` and of its floor, each handed `perRound` items (by their running number)
 * per round, `rounds` rounds taking turns; the median round of each. First each gets a warm-up of
 * `warm` items, numbered after the timed ones (so callers prepare rounds × perRound + warm items).
 */
export async function throughputBeside(
  rounds: number,
  perRound: number,
  fn: (from: number, count: number) => Promise<unknown>,
  floor: (from: number, count: number) => Promise<unknown>,
  warm = 0,
): Promise<{ perSecond: number; floorPerSecond: number }> {
  if (warm > 0) {
    await fn(rounds * perRound, warm);
    await floor(rounds * perRound, warm);
  }
  const own: number[] = [];
  const base: number[] = [];
  for (let round = 0; round < rounds; round++) {
    own.push((perRound * 1000) / (await elapsed(() => fn(round * perRound, perRound))));
    base.push((perRound * 1000) / (await elapsed(() => floor(round * perRound, perRound))));
  }
  return { perSecond: median(own), floorPerSecond: median(base) };
}

/** The warm-up before a throughput: a tenth of a round, at most 100 items. */
export const warmUp = (perRound: number) => Math.min(100, Math.ceil(perRound / 10));

/**
 * Runs task(0 … count-1) with `clients` of them in flight at once; with `latencies`, adds each task's
 * milliseconds to it.
 */
export async function drive(count: number, clients: number, task: (i: number) => Promise<unknown>, latencies?: number[]): Promise<void> {
  let next = 0;
  const client = async () => {
    for (let i = next++; i < count; i = next++) {
      if (!latencies) {
        await task(i);
        continue;
      }
      const start = process.hrtime.bigint();
      await task(i);
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: Math.min(clients, count) }, client));
}

/** The 99th percentile of some milliseconds (nearest rank). */
function p99(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
}

export const log = (line: string) => process.stderr.write(`${line}\n`);

/** An HTTP server on loopback, on a free port. */
export async function listen(app: http.RequestListener): Promise<{ server: http.Server; base: string; close(): Promise<void> }> {
  const server = http.createServer(app);
  // The client decides when an idle keep-alive connection ends; a server-side close races the next request.
  server.keepAliveTimeout = 600_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** GETs a URL and reads the whole body, failing loudly on anything but 200. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { headers, redirect: 'manual' });
  const body = await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${Buffer.from(body).toString().slice(0, 300)}`);
  return body.byteLength;
}

/** Keep-alive connections for the load generators; how many are open is bounded by the callers' clients. */
const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 10_000 });

/**
 * POSTs a body over node:http (cheaper per request than fetch, so the client costs the floor and the
 * measure alike and little) and returns the parsed JSON answer, failing loudly on a status not in `ok`.
 */
export function post(url: string, body: string, headers: Record<string, string>, ok: number[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { accept: 'application/json', ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (!ok.includes(res.statusCode ?? 0)) return reject(new Error(`POST ${url}: ${res.statusCode} ${text.slice(0, 300)}`));
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`POST ${url}: no answer in 120 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Closes the load generators' idle connections, so the process can end. */
export const closeClients = () => agent.destroy();

/** One line of the table: a time (ms) or a rate (per second, with ms the time per item), beside its floor. */
export interface Row {
  db: 'sqlite' | 'postgres';
  /** Responses in the database when measured. */
  responses: number;
  measure: string;
  ms: number;
  floor: string;
  floor_ms: number;
  /** How many times the floor's time (or, for rates, the floor's time per item). */
  ratio: number;
  per_second?: number;
  floor_per_second?: number;
  /** Requests under load: the 99th percentile of their times, and the floor's. */
  p99_ms?: number;
  floor_p99_ms?: number;
}

export function timeRow(db: Row['db'], responses: number, measure: string, floor: string, t: { ms: number; floorMs: number }): Row {
  return { db, responses, measure, ms: t.ms, floor, floor_ms: t.floorMs, ratio: t.ms / t.floorMs };
}

export function rateRow(
  db: Row['db'],
  responses: number,
  measure: string,
  floor: string,
  r: { perSecond: number; floorPerSecond: number },
  latency?: { own: number[]; floor: number[] },
): Row {
  return {
    ...(latency ? { p99_ms: p99(latency.own), floor_p99_ms: p99(latency.floor) } : {}),
    db,
    responses,
    measure,
    ms: 1000 / r.perSecond,
    floor,
    floor_ms: 1000 / r.floorPerSecond,
    ratio: r.floorPerSecond / r.perSecond,
    per_second: r.perSecond,
    floor_per_second: r.floorPerSecond,
  };
}

export const bareHttpFloor = 'bare Express route, same HTTP path';

export function formatTable(rows: Row[]): string {
  const width = Math.max(...rows.map((r) => r.measure.length));
  const rate = (v: number | undefined) => (v === undefined ? '' : Math.round(v).toLocaleString('en'));
  const ms = (v: number | undefined) => (v === undefined ? '' : v.toFixed(1));
  return [
    `${'db'.padEnd(8)}  ${'responses'.padStart(10)}  ${'measure'.padEnd(width)}  ${'median ms'.padStart(10)}  ${'floor ms'.padStart(9)}  ${'× floor'.padStart(8)}  ${'per s'.padStart(8)}  ${'floor /s'.padStart(9)}  ${'p99 ms'.padStart(7)}  ${'floor p99'.padStart(9)}  floor`,
    ...rows.map(
      (r) =>
        `${r.db.padEnd(8)}  ${r.responses.toLocaleString('en').padStart(10)}  ${r.measure.padEnd(width)}  ${r.ms.toFixed(2).padStart(10)}  ${r.floor_ms.toFixed(3).padStart(9)}  ${r.ratio.toFixed(1).padStart(8)}  ${rate(r.per_second).padStart(8)}  ${rate(r.floor_per_second).padStart(9)}  ${ms(r.p99_ms).padStart(7)}  ${ms(r.floor_p99_ms).padStart(9)}  ${r.floor}`,
    ),
  ].join('\n');
}

export const jsonRow = (r: Row) => ({
  ...r,
  ms: Number(r.ms.toFixed(3)),
  floor_ms: Number(r.floor_ms.toFixed(4)),
  ratio: Number(r.ratio.toFixed(2)),
  ...(r.per_second === undefined ? {} : { per_second: Math.round(r.per_second), floor_per_second: Math.round(r.floor_per_second!) }),
  ...(r.p99_ms === undefined ? {} : { p99_ms: Number(r.p99_ms.toFixed(2)), floor_p99_ms: Number(r.floor_p99_ms!.toFixed(2)) }),
});
