import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The pinned Python packages of the data plane. dbt-core 1.12 does not install here (its build fetches a parser
 * wheel from outside the registries); Python `duckdb` must match `@duckdb/node-api` (1.5.6) or the worker and dbt
 * disagree on the warehouse file format. Changing a pin reinstalls the venv on the next `npm run etl:install`.
 */
export const ETL_PYTHON_PACKAGES = ['dbt-core==1.11.16', 'dbt-duckdb==1.11.1', 'duckdb==1.5.6', 'jafgen==0.4.14'];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The git-ignored, project-local venv that holds dbt and jafgen. */
export const ETL_VENV = join(ROOT, '.dbt');
export const DBT_BIN = join(ETL_VENV, 'bin', 'dbt');
export const JAFGEN_BIN = join(ETL_VENV, 'bin', 'jafgen');
/** Written after a successful install: the pins it installed, so a changed pin is noticed. */
const MARKER = join(ETL_VENV, 'stream-collab-pins.txt');

/** True if the venv holds exactly the pinned packages (as recorded by the last successful install). */
export function etlToolsInstalled(): boolean {
  if (!existsSync(DBT_BIN) || !existsSync(JAFGEN_BIN) || !existsSync(MARKER)) return false;
  return readFileSync(MARKER, 'utf8') === ETL_PYTHON_PACKAGES.join('\n');
}

/**
 * Creates the venv in .dbt/ and installs dbt and jafgen into it with pip. Idempotent: returns at once when the
 * pinned set is already there. True if the tools are there afterwards.
 */
export function installEtlTools(log: (line: string) => void = console.log): boolean {
  if (etlToolsInstalled()) return true;
  const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0);
  if (python === undefined) {
    log('no python3 to create the dbt venv');
    return false;
  }
  if (!existsSync(join(ETL_VENV, 'bin', 'python'))) {
    const venv = spawnSync(python, ['-m', 'venv', ETL_VENV], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (venv.status !== 0) {
      log(`${python} -m venv ${ETL_VENV} failed (exit ${String(venv.status)})`);
      return false;
    }
  }
  const pip = spawnSync(
    join(ETL_VENV, 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...ETL_PYTHON_PACKAGES],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (pip.status !== 0 || !existsSync(DBT_BIN) || !existsSync(JAFGEN_BIN)) {
    log(`pip install ${ETL_PYTHON_PACKAGES.join(' ')} failed (exit ${String(pip.status)})`);
    return false;
  }
  writeFileSync(MARKER, ETL_PYTHON_PACKAGES.join('\n'));
  log(`installed ${ETL_PYTHON_PACKAGES.join(' ')} into ${ETL_VENV}`);
  return true;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(installEtlTools() ? 0 : 1);
}
