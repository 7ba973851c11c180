import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';

/**
 * An object contract: the seed's fields are checked, fields the seed does not name are kept and passed on,
 * but a field that looks like a misspelling of a known one (`partioning`) is an error naming the nearest field.
 */
export function contract<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.looseObject(shape).superRefine(
    (value, ctx) => {
      if (typeof value !== 'object' || value === null) return;
      for (const key of Object.keys(value)) {
        if (known.includes(key)) continue;
        const near = nearestField(key, known);
        if (near !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `unknown field "${key}"; did you mean "${near}"?`,
            params: { kind: 'misspelt-field', expected: near },
          });
        }
      }
    },
    // Run even when a known field failed too, so a misspelt required field is reported as such.
    { when: () => true },
  );
}

/** The known field `key` is most likely a misspelling of, if any. Short names need a closer match. */
export function nearestField(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0 || key.length < 3) return undefined;
  const near = closest(key, [...known]);
  const d = distance(key.toLowerCase(), near.toLowerCase());
  const allowed = key.length <= 6 ? 1 : 2;
  return d <= allowed ? near : undefined;
}

/** A SQL-safe identifier: built-in agents put these names into DDL and queries. */
export const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, {
  message: 'expected an identifier (letters, digits and _, optionally schema.name)',
});

export const nonEmpty = z.string().min(1, { message: 'expected a non-empty string' });
