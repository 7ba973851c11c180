/** A property of a value no contract has typed yet, as `unknown` (never `any`); undefined for non-objects. */
export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}
