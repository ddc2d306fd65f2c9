import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckdbBackend } from '../../src/backends/sql/duckdb.ts';
import { openBackend } from '../../src/index.ts';
import { runConformanceSuite } from '../conformance/suite.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

afterAll(removeTempDirs);

runConformanceSuite({
  name: 'duckdb',
  open: () => DuckdbBackend.open({ path: join(tempDir('duckdb'), 'store.duckdb') }),
  missing: () => ({ type: 'duckdb', path: join(tempDir('duckdb-missing'), 'typo.duckdb') }),
});

describe('duckdb extras', () => {
  it('opens from a URL, keeps tables apart and stores injection strings verbatim', async () => {
    const dir = tempDir('duckdb-url');
    const a = await openBackend(`duckdb:///${dir}/x.duckdb?table=a`);
    expect(a.toConfig()).toEqual({ type: 'duckdb', path: `${dir}/x.duckdb`, table: 'a' });
    const nasty = "x'); DROP TABLE a; --";
    await a.put(nasty, bytes('1'), { attrs: { q: "' OR 1=1" } });
    expect(text((await a.get(nasty))?.value)).toBe('1');
    const listed: string[] = [];
    for await (const e of a.list('', { where: { q: "' OR 1=1" } })) listed.push(e.key.join('/'));
    expect(listed).toEqual([nasty]);
    await a.close();
  });
});
