import { SEARCH_ATTRIBUTES } from '../identity/index.js';

/** Search attribute types as the `temporal` CLI and admin-tools name them. */
const CLI_TYPE: Readonly<Record<string, string>> = {
  KEYWORD: 'Keyword',
  KEYWORD_LIST: 'KeywordList',
  INT: 'Int',
  TEXT: 'Text',
  BOOL: 'Bool',
  DOUBLE: 'Double',
  DATETIME: 'Datetime',
};

/**
 * The production topology, written once: Temporal Server on PostgreSQL with its Web UI. `npm run cluster`
 * (src/cluster/) builds and starts exactly this; docker-compose.yml describes the same with images, and
 * test/cluster-parity.test.ts checks the two agree. Moving a version here means moving the image tags there.
 */
export const TOPOLOGY = {
  server: {
    /** Go module and tag of Temporal Server; `temporalio/server` and `temporalio/admin-tools` carry the same tag. */
    module: 'go.temporal.io/server',
    version: '1.32.2',
    /** The schema versions this server version's module ships (schema/postgresql/v12/{temporal,visibility}/versioned). */
    schema: { plugin: 'postgres12', dir: 'schema/postgresql/v12', temporal: '1.19', visibility: '1.14' },
    /** docker.yaml's default (NUM_HISTORY_SHARDS); fixed for the life of a cluster's database. */
    historyShards: 4,
  },
  ui: {
    module: 'github.com/temporalio/ui-server/v2',
    version: '2.54.1',
  },
  /** The Go toolchain the binaries are built with (the Go module proxy serves it). */
  goToolchain: 'go1.26.10',
  ports: {
    /** The frontend's gRPC port, docker-compose.yml's published port and the CLI's default. */
    frontend: 7233,
    /** The Web UI, on the frontend port + 1000, where `uiBase` (src/temporal/ui.ts) looks for it. */
    ui: 8233,
  },
  database: { user: 'temporal', password: 'temporal', databases: ['temporal', 'temporal_visibility'] },
  namespace: {
    name: 'default',
    retention: '72h',
    /** The chains' search attributes (src/identity/search-attributes.ts), in the CLI's type names. */
    searchAttributes: SEARCH_ATTRIBUTES.map((key) => ({
      name: key.name,
      type: CLI_TYPE[key.type] ?? 'Keyword',
    })),
  },
  /** Temporal's development settings for SQL persistence: SQL visibility keeps ids in 255-character columns. */
  dynamicConfig: {
    'limit.maxIDLength': [{ value: 255, constraints: {} }],
    'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
  },
} as const;

export type Topology = typeof TOPOLOGY;
