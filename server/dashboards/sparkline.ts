/**
 * A score tile's sparkline (issue 16): the weekly scores as an SVG path drawn on the server, so the tile
 * needs no script. Only buckets with enough responses to read are drawn; a bucket too small (or empty)
 * breaks the line rather than joining its neighbours. The vertical scale follows the data (its lowest
 * and highest readable score); a flat series is drawn across the middle.
 */

/** The drawing's size in SVG units (the viewBox); CSS sizes it on the page. */
const SPARK_WIDTH = 100;
const SPARK_HEIGHT = 28;
/** Room above and below the line, so its stroke is never cut. */
const PAD = 2;

export interface SparkPoint {
  score: number | null;
  /** Too few responses to read (drawn as a gap). */
  tooSmall: boolean;
}

/**
 * Two paths' `d`: `line`, one subpath per run of readable weeks (a run of one week is a zero-length line,
 * which the round line cap draws as a dot), and `faint`, a dot for each week with a score from too few
 * responses, never joined. The scale spans every week with a score. Both empty when no week has one.
 */
export function sparkline(points: readonly SparkPoint[]): { line: string; faint: string } {
  const values = points.map((p) => p.score).filter((v): v is number => v !== null);
  if (values.length === 0) return { line: '', faint: '' };
  const min = Math.min(...values);
  const max = Math.max(...values);
  const round = (n: number) => Math.round(n * 100) / 100;
  const x = (i: number) => round(points.length > 1 ? (i * SPARK_WIDTH) / (points.length - 1) : SPARK_WIDTH / 2);
  const y = (v: number) => round(max === min ? SPARK_HEIGHT / 2 : PAD + ((max - v) / (max - min)) * (SPARK_HEIGHT - 2 * PAD));
  const runs: string[][] = [];
  const faint: string[] = [];
  let run: string[] | null = null;
  points.forEach((p, i) => {
    if (p.score === null || p.tooSmall) {
      run = null;
      if (p.score !== null) faint.push(`M${x(i)} ${y(p.score)} L${x(i)} ${y(p.score)}`);
      return;
    }
    if (!run) runs.push((run = []));
    run.push(`${x(i)} ${y(p.score)}`);
  });
  return { line: runs.map((r) => `M${r[0]} L${(r.length > 1 ? r.slice(1) : r).join(' L')}`).join(' '), faint: faint.join(' ') };
}
