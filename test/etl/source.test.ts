import { describe, expect, it } from 'vitest';
import { etlToolsInstalled, installEtlTools } from '../../src/etl/install.js';
import { openSourceDatabase, withSource } from '../../src/etl/source.js';

describe('ETL engines by configuration', () => {
  it('uses the server SOURCE_DATABASE_URL names, and never stops it', async () => {
    const source = await openSourceDatabase({ SOURCE_DATABASE_URL: 'postgres://u@db.example:5432/shop' });
    expect(source).toMatchObject({ engine: 'postgres', url: 'postgres://u@db.example:5432/shop' });
    await source.close();
  });

  it('serves an embedded PGlite over the wire protocol when no URL is set', async () => {
    const source = await openSourceDatabase({});
    try {
      expect(source.engine).toBe('pglite');
      const version = await withSource(
        source.url,
        async (c) => (await c.query<{ v: string }>('SELECT version() v')).rows,
      );
      expect(version[0]?.v).toContain('PGlite');
    } finally {
      await source.close();
    }
  });

  it('installs dbt and jafgen once: a second install finds them and returns at once', () => {
    expect(installEtlTools()).toBe(true);
    expect(etlToolsInstalled()).toBe(true);
    const started = Date.now();
    expect(installEtlTools(() => expect.fail('a second install must not log an install'))).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
