/**
 * `npm run bench:cli`: cold start of the `stream-collab` command as users run it (plain node on the compiled
 * dist/), against the same command run from source through tsx as it shipped before, interleaved so both see
 * the same machine load. Reports medians of `--repeat` runs each; it asserts nothing.
 *
 *   npm run bench:cli -- [--repeat 10]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGETS: Readonly<Record<string, number>> = { '--help': 0.15, flows: 0.3 };

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '10' } } });
const repeat = Number(values.repeat);
if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.error('bench:cli measures the build: run `npm run build` first');
  process.exit(2);
}

const sides = {
  'node dist (ours)': [join(ROOT, 'bin', 'stream-collab.js')],
  'tsx src (before)': ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')],
} as const;

function seconds(args: readonly string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${String(result.status)}`);
  return (performance.now() - start) / 1000;
}

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

console.log(`cold start, median of ${repeat} runs each, interleaved (seconds)\n`);
console.log(['command', ...Object.keys(sides), 'target (ours)', 'met'].join(' | '));
for (const command of Object.keys(TARGETS)) {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((s) => [s, []]));
  for (let i = 0; i < repeat; i++) {
    for (const [name, args] of Object.entries(sides)) times[name]?.push(seconds([...args, command]));
  }
  const medians = Object.keys(sides).map((s) => median(times[s] ?? []));
  const target = TARGETS[command] ?? NaN;
  const ours = medians[0] ?? NaN;
  console.log([command, ...medians.map((m) => m.toFixed(3)), `≤ ${target}`, ours <= target ? 'yes' : 'no'].join(' | '));
}
