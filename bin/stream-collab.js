#!/usr/bin/env node
// The compiled CLI (`npm run build`, run by `npm ci` through `prepare`): plain node, no TypeScript at run time.
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('error: stream-collab is not built; run `npm run build` (npm ci does it for you)\n');
    process.exit(4);
  }
  // The CLI failed to load: exit 70 (EX_SOFTWARE) like any other crash of the CLI, the stack only with --debug.
  const debug = process.argv.includes('--debug') || process.env.STREAM_COLLAB_DEBUG === '1';
  process.stderr.write(
    `error: stream-collab failed to load: ${debug ? (err?.stack ?? err) : String(err?.message ?? err).split('\n')[0]}\n`,
  );
  process.exit(70);
}
const code = await cli.main(process.argv.slice(2));
// process.exit drops what a pipe has not taken yet (a `handoffs` of a multi-MB payload): exit once both are flushed.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
