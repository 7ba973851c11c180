/** Hosts of a server on this machine: the dev server, or docker-compose.yml's published ports. */
const LOCAL_HOST = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?)$/;
/** Temporal Cloud's frontends: namespace endpoints and regional API endpoints. */
const CLOUD_HOST = /\.(tmprl\.cloud|api\.temporal\.io)$/;

/**
 * The Temporal Web UI that shows runs of the server at `address`: TEMPORAL_UI_URL when set, else where that kind
 * of server puts it — a local server (`temporal server start-dev`, docker-compose.yml) serves it on the frontend
 * port + 1000, Temporal Cloud on cloud.temporal.io. Undefined when the address says nothing about it.
 */
export function uiBase(address: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TEMPORAL_UI_URL !== undefined && env.TEMPORAL_UI_URL !== '') return env.TEMPORAL_UI_URL.replace(/\/+$/, '');
  const at = /^(.*):(\d+)$/.exec(address);
  const host = at?.[1] ?? address;
  if (CLOUD_HOST.test(host)) return 'https://cloud.temporal.io';
  if (at?.[2] === undefined || !LOCAL_HOST.test(host)) return undefined;
  return `http://${host}:${Number(at[2]) + 1000}`;
}

/** The UI page of one run: its event history. */
export function uiLink(base: string, namespace: string, workflowId: string, runId: string): string {
  const e = encodeURIComponent;
  return `${base.replace(/\/+$/, '')}/namespaces/${e(namespace)}/workflows/${e(workflowId)}/${e(runId)}/history`;
}
