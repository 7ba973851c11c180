#!/usr/bin/env node
// Radar as a command agent speaking JSON (`format: json`), written from the README alone, with no packages:
// the payload is JSON on stdin, the reply JSON on stdout, the envelope in STREAM_COLLAB_* variables.
// It writes what it saw (its working directory and those variables) to seen.json in its working directory.
import { writeFileSync } from 'node:fs';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const payload = JSON.parse(input);

const envelope = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('STREAM_COLLAB_')));
writeFileSync('seen.json', JSON.stringify({ cwd: process.cwd(), envelope, mode: process.env.RADAR_MODE }));

if (process.env.STREAM_COLLAB_REPLY_CONTRACT !== 'radar-output') {
  process.stderr.write(`radar.mjs cannot answer ${process.env.STREAM_COLLAB_REPLY_CONTRACT}\n`);
  process.exit(65);
}
const checks = [];
const scenarios = [];
for (const req of payload.test_requirements) {
  for (const check of req.checks ?? []) {
    checks.push({
      check,
      ...(req.table ? { table: req.table } : {}),
      sql: `-- ${check}`,
      status: 'skipped',
      reason: 'radar.mjs has no warehouse',
    });
  }
  for (const name of req.scenarios ?? []) scenarios.push({ name, steps: [`run ${name}`] });
}
process.stdout.write(
  JSON.stringify({
    checks,
    scenarios,
    summary: { passed: 0, failed: 0, skipped: checks.length },
    artifacts: [{ name: 'partition.txt', content: `${process.env.STREAM_COLLAB_PARTITION}\n` }],
  }),
);
