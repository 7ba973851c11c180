import { Option, type Command } from 'commander';
import { UsageError } from './errors.js';

export interface CodecServerCommandOptions {
  readonly host: string;
  readonly port: string;
  readonly uiOrigin: readonly string[];
  readonly tokenEnv: string;
}

const MIN_TOKEN_LENGTH = 16;
/** The dev server's Web UI. */
const DEFAULT_UI_ORIGIN = 'http://localhost:8233';

/**
 * `codec-server`: decrypts payloads for an authorized reader of the Web UI (Settings → Codec Server, or the dev
 * server's `--ui-codec-endpoint`) and of `temporal workflow show --codec-endpoint … --codec-auth "Bearer …"`,
 * with the keys and payload store of the worker's environment. Payloads are never decrypted server-side.
 */
export function registerCodecServerCommand(cmd: Command): void {
  cmd
    .command('codec-server')
    .description('serve the Temporal /encode and /decode codec protocol so the Web UI shows decrypted payloads')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0: any free port)', '8888')
    .addOption(
      new Option('--ui-origin <origin>', 'a Web UI origin allowed by CORS (repeatable)')
        .argParser((value: string, previous: readonly string[]) => [...previous, value])
        .default([], DEFAULT_UI_ORIGIN),
    )
    .option(
      '--token-env <name>',
      'the environment variable holding the bearer token',
      'STREAM_COLLAB_CODEC_SERVER_TOKEN',
    )
    .action(async (opts: CodecServerCommandOptions) => {
      process.exitCode = await codecServerCommand(opts);
    });
}

async function codecServerCommand(opts: CodecServerCommandOptions): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: expected 0-65535, got "${opts.port}"`);
  const origins = opts.uiOrigin.length > 0 ? opts.uiOrigin : [DEFAULT_UI_ORIGIN];
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      throw new UsageError(`--ui-origin: expected scheme://host[:port] with no path, got "${origin}"`);
  }
  const token = process.env[opts.tokenEnv] ?? '';
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(
      `${opts.tokenEnv}: set a bearer token of at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32); the codec server refuses to run without one`,
    );
  }
  const { codecConfigFromEnv, payloadCodecs } = await import('../temporal/data-converter.js');
  const { startCodecServer } = await import('../temporal/codec-server.js');
  const config = codecConfigFromEnv();
  const server = await startCodecServer({
    host: opts.host,
    port,
    uiOrigins: origins,
    token,
    codecs: payloadCodecs(config),
    log: (line) => process.stderr.write(`codec-server: ${line}\n`),
  });
  process.stdout.write(`codec server: ${server.url} (CORS: ${origins.join(', ')})\n`);
  if (config.keys.length === 0)
    process.stderr.write(
      'codec-server: no codec key configured: payloads are not encrypted, only references resolve\n',
    );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
  return 0;
}
