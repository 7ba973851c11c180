/**
 * A client script: runs Pattern A for one model through `stream-collab/client` and prints the chain as JSON.
 * The server comes from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (or temporal.toml), the task queue from
 * STREAM_COLLAB_TASK_QUEUE; a worker must poll it (`npm run worker`).
 *
 *   npx tsx examples/client.ts [target_model]
 *
 * Exit 0 when the chain completed, 1 when it failed (its failure type is printed), 2 for an input that breaks
 * the contract (nothing was started).
 */
import { ChainFailedError, ChainInputError, connect, FailureType, type SchemaToStream } from 'stream-collab/client';

const input: SchemaToStream = {
  source_tables: ['raw_orders', 'raw_customers'],
  target_model: process.argv[2] ?? 'fct_orders',
};

const sc = await connect();
try {
  const chain = await sc.run('schema-to-pipeline', input);
  const shown = await sc.show(chain.chainId);
  console.log(
    JSON.stringify(
      {
        workflowId: chain.chainId,
        status: shown.status,
        handoffs: chain.handoffs.map((h) => ({ step: h.step, from: h.from, to: h.to, attempts: h.attempts })),
        connectors: Array.isArray(chain.output?.connectors) ? chain.output.connectors.length : 0,
      },
      null,
      2,
    ),
  );
} catch (err) {
  if (err instanceof ChainInputError) {
    console.error(err.message);
    process.exitCode = 2;
  } else if (err instanceof ChainFailedError) {
    // Rejections and contract violations are final; the other types were already retried per agent policy.
    const final = err.type === FailureType.AgentRejected || err.type === FailureType.ContractViolation;
    console.error(`${err.workflowId} failed (${err.type}${final ? ', not retried' : ''}): ${err.message}`);
    process.exitCode = 1;
  } else throw err;
} finally {
  await sc.close();
}
