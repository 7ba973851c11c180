import { inject } from 'vitest';
import { startProcess, type Running } from './processes.js';

/**
 * Starts `npm run worker` (`how: 'npm'`) or `node dist/worker.js` (`how: 'node'`) against the test server, in
 * its own process group. The compiled worker is what ships, so tests run it, not the sources (`npm test` builds
 * first).
 */
export function startWorkerProcess(env: Record<string, string>, how: 'npm' | 'node' = 'node'): Running {
  const fullEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
    ...env,
  };
  return how === 'npm'
    ? startProcess(['run', '--silent', 'worker'], fullEnv, 'npm')
    : startProcess(['dist/worker.js'], fullEnv);
}
