/** A codec setting from the environment that cannot be used: the worker and the CLI exit 2 on it. */
export class CodecConfigError extends Error {
  override name = 'CodecConfigError';
}
