import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { generateJaffle, loadJaffle, simulateShopChanges } from './jaffle.js';
import { openSourceDatabase, withSource } from './source.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * Where the embedded source keeps the shop between commands when SOURCE_DATABASE_URL is not set. PGlite is one
 * process's database: do not run a command on this folder while another process (the demo, a worker) has it open.
 */
export const SHOP_PGLITE_DIR = join(ROOT, '.etl', 'source');

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return n;
};
const day = (value: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidArgumentError(`expected YYYY-MM-DD, got "${value}"`);
  return value;
};

/**
 * The sample shop for warehouse-etl: `load` puts jafgen's Jaffle Shop into the source (SOURCE_DATABASE_URL, or the
 * embedded PGlite in .etl/source), `change` appends orders and moves some to `returned`, so the next incremental
 * extract has real new and changed rows. `npm run etl:shop -- load --ends-on 2026-11-27`.
 */
export function shopCommand(): Command {
  const program = new Command('etl-shop').description('the Jaffle Shop sample source for warehouse-etl');
  program
    .command('load')
    .description('(re)create the shop schema in the source from jafgen data')
    .option('--years <n>', 'years of shop history jafgen generates', positive, 1)
    .option('--days <n>', 'keep only the first N days of orders', positive)
    .option('--ends-on <date>', 'shift every timestamp so the last order falls on this day', day)
    .option('--schema <name>', 'source schema', 'jaffle')
    .action(async (opts: { years: number; days?: number; endsOn?: string; schema: string }) => {
      const csv = await generateJaffle(opts.years);
      const source = await openSourceDatabase(process.env, { dataDir: SHOP_PGLITE_DIR });
      try {
        const load = await withSource(source.url, (client) =>
          loadJaffle(client, csv, {
            schema: opts.schema,
            ...(opts.days !== undefined ? { days: opts.days } : {}),
            ...(opts.endsOn !== undefined ? { endsOn: opts.endsOn } : {}),
          }),
        );
        console.log(`loaded ${JSON.stringify(load.rows)} into ${source.engine} schema ${load.schema}`);
        console.log(`orders from ${load.firstOrderAt} to ${load.lastOrderAt}`);
      } finally {
        await source.close();
      }
    });
  program
    .command('change')
    .description('append new orders and move some to status returned, all updated now (or --at)')
    .option('--new-orders <n>', 'orders to append', positive, 20)
    .option('--updates <n>', 'existing orders to move to returned', positive, 10)
    .option('--at <timestamp>', 'their updated_at (default: now, UTC)')
    .option('--schema <name>', 'source schema', 'jaffle')
    .action(async (opts: { newOrders: number; updates: number; at?: string; schema: string }) => {
      const at = opts.at ?? new Date().toISOString().replace('T', ' ').slice(0, 19);
      const source = await openSourceDatabase(process.env, { dataDir: SHOP_PGLITE_DIR });
      try {
        const changes = await withSource(source.url, (client) =>
          simulateShopChanges(client, { at, newOrders: opts.newOrders, updates: opts.updates, schema: opts.schema }),
        );
        console.log(
          `${changes.newOrders.length} orders (${changes.newItems.length} items) appended, ` +
            `${changes.updatedOrders.length} returned, updated_at ${changes.at}`,
        );
      } finally {
        await source.close();
      }
    });
  return program;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await shopCommand().parseAsync(process.argv);
}
