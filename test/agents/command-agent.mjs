#!/usr/bin/env node
// A real command agent for the tests, standing in for Builder: payload as YAML on stdin, reply as YAML on
// stdout. The first argument picks its behaviour; CALL_LOG, if set, gets one line per call.
import { appendFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

const mode = process.argv[2] ?? 'ok';
const attempt = Number(process.env.STREAM_COLLAB_ATTEMPT ?? '1');
if (process.env.CALL_LOG) {
  appendFileSync(
    process.env.CALL_LOG,
    `${JSON.stringify({ pid: process.pid, attempt, mode, step: process.env.STREAM_COLLAB_STEP, key: process.env.STREAM_COLLAB_IDEMPOTENCY_KEY })}\n`,
  );
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const payload = parse(input);

if (mode === 'reject') {
  process.stderr.write('builder: I cannot build connectors for these requirements\n');
  process.exit(65);
}
if (mode === 'sleep') {
  await new Promise((resolve) => setTimeout(resolve, 60_000));
}
if (mode === 'garbage-first' && attempt < 2) {
  process.stdout.write('{ "connectors": [ not yaml at all\n');
  process.exit(0);
}
if (mode === 'crash-first' && attempt < 2) {
  process.stderr.write('builder: transient failure\n');
  process.exit(1);
}
const connectors = payload.connector_requirements.map((r) => ({
  name: `${r.api}_connector`,
  api: r.api,
  table: r.api.replace(/_api$/, ''),
  method: r.method,
  extraction_sql: `SELECT * FROM ${r.api.replace(/_api$/, '')}`,
  built_by: 'command-agent',
}));
process.stdout.write(stringify({ connectors }));
