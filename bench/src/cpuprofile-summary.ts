/**
 * Where the time went in a V8 .cpuprofile (from `node --cpu-prof`): the functions with the
 * most self time, as a share of all samples, with their file and line.
 *
 *   node bench/dist/cpuprofile-summary.js <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A file path made short: the package path for dependencies, the repo path for ours. */
function shortFile(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/^.*\/(packages|bench)\//, '$1/');
}

/** What a file belongs to: a tiercache package, a dependency, node itself, or V8's own entries. */
function areaOf(file: string, functionName: string): string {
  if (file.startsWith('packages/')) return `@tiercache/${file.split('/')[1]}`;
  if (file.startsWith('bench/')) return 'bench harness';
  if (file.startsWith('node:')) return 'node internals';
  if (file === '') return functionName.startsWith('(') ? functionName : 'native (V8/node builtins)';
  const parts = file.split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Self time per function (name + file + line) and per area, largest first, in microseconds. */
export function selfTimes(profile: CpuProfile): {
  functions: { label: string; micros: number }[];
  areas: { label: string; micros: number }[];
} {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byNode.get(profile.samples[i]!);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = shortFile(url);
    const frame = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    // A sample's duration is the delta to the next sample.
    const micros = profile.timeDeltas[i + 1] ?? 0;
    functions.set(frame, (functions.get(frame) ?? 0) + micros);
    const area = areaOf(file, functionName);
    areas.set(area, (areas.get(area) ?? 0) + micros);
  }
  const sorted = (m: Map<string, number>) =>
    [...m.entries()].map(([label, micros]) => ({ label, micros })).sort((a, b) => b.micros - a.micros);
  return { functions: sorted(functions), areas: sorted(areas) };
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: node bench/dist/cpuprofile-summary.js <file.cpuprofile> [top]');
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const { functions, areas } = selfTimes(profile);
  const total = functions.reduce((sum, r) => sum + r.micros, 0);
  const line = (r: { label: string; micros: number }) =>
    `${((r.micros / total) * 100).toFixed(1).padStart(5)}%  ${r.label}`;
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n\nself time by area:`);
  for (const row of areas.slice(0, 12)) console.log(line(row));
  console.log('\nself time by function:');
  for (const row of functions.slice(0, top)) console.log(line(row));
}

main();
