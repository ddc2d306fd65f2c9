import { afterAll, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/index.ts';
import { startExplorer } from '../../src/ui/index.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

afterAll(removeTempDirs);

describe('explorer downloads', () => {
  it('streams a value stored in chunks, with its full size as content-length', async () => {
    const url = `sqlite:${tempDir('ui-download')}/store.sqlite`;
    const value = new Uint8Array(5 * 1024 * 1024 + 11).map((_, i) => (i * 13) & 0xff);
    const store = await openBackend(url);
    try {
      await store.putStream('traces/big.bin', [value.subarray(0, 1000), value.subarray(1000)]);
      let chunks = 0;
      for await (const _ of store.keys('.stowage-chunks')) chunks++;
      expect(chunks).toBe(3); // the set's record and two 4 MiB chunks: the download reads chunks
    } finally {
      await store.close();
    }
    await using explorer = await startExplorer({ stores: [url] });
    const response = await fetch(new URL('/api/entry/raw?key=traces/big.bin', explorer.origin), {
      headers: { 'x-stowage-token': explorer.token },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(value.byteLength));
    expect(response.headers.get('content-disposition')).toContain('big.bin');
    // Buffer.equals: a deep toEqual over 5 MB of elements takes minutes.
    expect(Buffer.from(await response.arrayBuffer()).equals(value)).toBe(true);
    const missing = await fetch(new URL('/api/entry/raw?key=traces/none', explorer.origin), {
      headers: { 'x-stowage-token': explorer.token },
    });
    expect(missing.status).toBe(404);
  });
});
