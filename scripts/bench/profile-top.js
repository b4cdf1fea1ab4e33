#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `npm run bench -- --profile DIR` or `node --cpu-prof`):
// self time by function, inclusive time by function (optionally filtered by REGEX on
// "name file:line"), and self time by file / npm package.
// With --timeline MS: per MS-millisecond window of wall time, what ran (idle = waiting on
// a child process or the network), to see where a cold start's wall time goes.
// Usage: node scripts/bench/profile-top.js FILE [N=25] [REGEX] [--timeline MS]
import { readFileSync } from 'node:fs';

const tlIndex = process.argv.indexOf('--timeline');
const timelineMs = tlIndex > 0 ? Number(process.argv[tlIndex + 1] ?? 50) : undefined;
if (tlIndex > 0) process.argv.splice(tlIndex, 2);
const [file, nArg, filter] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/bench/profile-top.js FILE.cpuprofile [N] [REGEX]');
  process.exit(2);
}
const N = Number(nArg ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfById = new Map();
prof.samples.forEach((id, i) => selfById.set(id, (selfById.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));

const short = (url) => url.replace(/^file:\/\/\/.*?\/(node_modules|dist|build|src|scripts)\//, '$1/');
const key = (n) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const group = (url) => {
  const u = short(url);
  if (!u) return '(native, gc, idle)';
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  return m ? `node_modules/${m[1]}` : u;
};
const self = new Map();
const incl = new Map();
const byFile = new Map();
for (const [id, t] of selfById) {
  const n = nodes.get(id);
  self.set(key(n), (self.get(key(n)) ?? 0) + t);
  byFile.set(group(n.callFrame.url), (byFile.get(group(n.callFrame.url)) ?? 0) + t);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(nodes.get(cur));
    if (!seen.has(k)) {
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + t);
    }
  }
}
const ms = (us) => (us / 1000).toFixed(1).padStart(8);
const top = (m, pred = () => true) => [...m].filter(([k]) => pred(k)).sort((a, b) => b[1] - a[1]).slice(0, N);
console.log(`${file}: ${ms(prof.endTime - prof.startTime)} ms profiled`);
console.log('--- self ms, by function');
for (const [k, t] of top(self)) console.log(ms(t), k);
console.log(`--- inclusive ms, by function${filter ? ` matching /${filter}/` : ''}`);
for (const [k, t] of top(incl, (k) => !filter || new RegExp(filter).test(k))) console.log(ms(t), k);
console.log('--- self ms, by file or package');
for (const [k, t] of top(byFile)) console.log(ms(t), k);

if (timelineMs) {
  // Window -> self time by package/file, plus the innermost lkp (dist/ or build/) frame.
  console.log(`--- timeline, ${timelineMs} ms windows: top self time by file/package [innermost lkp frame]`);
  const windows = [];
  let t = 0;
  prof.samples.forEach((id, i) => {
    t += prof.timeDeltas[i] ?? 0;
    const w = Math.floor(t / 1000 / timelineMs);
    windows[w] ??= { files: new Map(), lkp: new Map() };
    const n = nodes.get(id);
    const g = n.callFrame.functionName === '(idle)' ? '(idle)' : group(n.callFrame.url);
    const d = prof.timeDeltas[i] ?? 0;
    windows[w].files.set(g, (windows[w].files.get(g) ?? 0) + d);
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const c = nodes.get(cur).callFrame;
      if (/\/(dist|build)\//.test(c.url) && c.functionName) {
        const k = `${c.functionName} ${short(c.url)}`;
        windows[w].lkp.set(k, (windows[w].lkp.get(k) ?? 0) + d);
        break;
      }
    }
  });
  windows.forEach((w, i) => {
    if (!w) return;
    const files = [...w.files].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${(v / 1000).toFixed(0)}`).join(', ');
    const lkp = [...w.lkp].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([k]) => k).join(', ');
    console.log(`${String(i * timelineMs).padStart(6)} ms  ${files}${lkp ? `  [${lkp}]` : ''}`);
  });
}
