// A config from a file or a CLI argument is unchecked JSON: a missing or mistyped location
// must be an OperationError naming the option, not Node's TypeError from path.resolve, nor
// a store opened in a folder named "undefined".
import { afterAll, describe, expect, it } from 'vitest';
import { type BackendConfig, OperationError, openBackend } from '../../src/index.ts';
import { removeTempDirs } from '../helpers/temp-dir.ts';

afterAll(removeTempDirs);

const locations: [type: string, option: string][] = [
  ['sqlite', 'path'],
  ['duckdb', 'path'],
  ['lmdb', 'path'],
  ['hdf5', 'path'],
  ['fs', 'root'],
  ['s3', 'bucket'],
];

describe('configs without a usable location', () => {
  for (const [type, option] of locations) {
    for (const value of [undefined, 42, '']) {
      it(`${type} with ${option} ${JSON.stringify(value) ?? 'missing'}: an OperationError naming '${option}'`, async () => {
        const config = { type, [option]: value } as BackendConfig;
        const error = await openBackend(config).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OperationError);
        expect((error as Error).message).toContain(`'${option}'`);
      });
    }
  }
});

describe('config options no backend reads', () => {
  it('void refuses them too, naming the option', async () => {
    await expect(openBackend({ type: 'void', bogusOption: true })).rejects.toThrow(/Unknown option 'bogusOption'/);
  });
});
