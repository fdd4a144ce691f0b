#!/usr/bin/env node
// npm run check:imports: the layout's rules (.dependency-cruiser.cjs) over server/ and migrations/, and no
// loop between folders of server/ (a folder counts as one; a file directly in server/ as itself).
import { cruise } from 'dependency-cruiser';
import { createRequire } from 'node:module';

const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs');
const result = await cruise(['server', 'migrations'], { ruleSet: { forbidden: config.forbidden }, validate: true, ...config.options, outputType: 'json' });
const output = typeof result.output === 'string' ? JSON.parse(result.output) : result.output;
const problems = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);

const folderOf = (file) => {
  const m = /^server\/([^/]+)\//.exec(file);
  return m ? m[1] : file.replace(/^server\//, '');
};
const edges = new Map();
for (const mod of output.modules) {
  if (!mod.source.startsWith('server/')) continue;
  for (const dep of mod.dependencies) {
    if (!dep.resolved.startsWith('server/')) continue;
    const [a, b] = [folderOf(mod.source), folderOf(dep.resolved)];
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a).has(b)) edges.get(a).set(b, `${mod.source} → ${dep.resolved}`);
  }
}
// Tarjan's strongly connected components: a component of more than one folder is a loop.
let index = 0;
const idx = new Map(), low = new Map(), stack = [], on = new Set();
const visit = (v) => {
  idx.set(v, index); low.set(v, index++); stack.push(v); on.add(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    for (let w; w !== v; ) { w = stack.pop(); on.delete(w); comp.push(w); }
    if (comp.length > 1) {
      const ties = comp.flatMap((a) => comp.filter((b) => edges.get(a)?.has(b)).map((b) => edges.get(a).get(b)));
      problems.push(`folder loop: ${comp.sort().join(', ')} (${ties.join('; ')})`);
    }
  }
};
for (const v of edges.keys()) if (!idx.has(v)) visit(v);

for (const p of problems) console.log(p);
console.log(problems.length ? `imports: ${problems.length} problems` : `imports: one way (${output.summary.totalCruised} modules, ${edges.size} folders, no loop)`);
process.exit(problems.length ? 1 : 0);
