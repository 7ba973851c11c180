import type { Connection } from '@temporalio/client';
import { connectClientConnection, type ServerTarget } from './connection.js';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { SEARCH_ATTRIBUTES } from '../identity/index.js';

/**
 * Registers our search attributes on the namespace where they are missing (dev server or self-hosted
 * cluster), and returns the names it added. A chain that upserts an unregistered attribute would fail its
 * workflow task over and over, so the worker refuses to start rather than run without them.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type) ?? 0]),
    ),
  });
  return missing.map((key) => key.name);
}

/**
 * Makes sure the namespace has our search attributes before a worker polls or a demo runs. Lists first; adds
 * the missing ones; if they are missing and cannot be added (e.g. Temporal Cloud, where `tcld` or the UI adds
 * them), throws with the exact attributes to add. If the server cannot even list them, it only warns.
 */
export async function prepareNamespace(target: ServerTarget, log: (line: string) => void = console.log): Promise<void> {
  const { connection, close } = await connectClientConnection(target);
  try {
    let added: string[];
    try {
      added = await ensureSearchAttributes(connection, target.namespace);
    } catch (err) {
      const wanted = SEARCH_ATTRIBUTES.map(
        (k) => `${k.name}=${k.type === 'KEYWORD_LIST' ? 'KeywordList' : k.type === 'INT' ? 'Int' : 'Keyword'}`,
      ).join(' ');
      throw new Error(
        `cannot register the search attributes chains need on namespace ${target.namespace}: ${err instanceof Error ? err.message : String(err)}\n` +
          `register them yourself (${wanted}), e.g. temporal operator search-attribute create --namespace ${target.namespace} --name StreamFlow --type Keyword`,
        { cause: err },
      );
    }
    if (added.length > 0) log(`registered search attributes on ${target.namespace}: ${added.join(', ')}`);
  } finally {
    await close();
  }
}
