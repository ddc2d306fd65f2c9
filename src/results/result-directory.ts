import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptValueError, NotFoundError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import { OptimizationResult, type OptimizationResultJSON } from './optimization-result.ts';
import type { ResultSet } from './result-set.ts';
import type { ResultMetadata } from './result-store.ts';
import { setFromCsvText, setFromJsonText, setToCsvText, setToJsonText } from './set-formats.ts';

/** `metadata.json` of an exported result: {@link ResultStore.getMetadata}'s fields, times as ISO text. */
export interface ExportedMetadata {
  key: string;
  createdAt: string;
  modifiedAt: string;
  sizeBytes: number;
  nPoints: number;
  nSets: number;
  custom: JsonObject;
}

interface ExportedSet {
  name: string;
  file: string;
  columnTypes: Record<string, string>;
  metadata: JsonObject;
}

type ExportedResult = Omit<OptimizationResultJSON, 'sets'> & { sets: ExportedSet[] };

// Set names may hold any character; file names keep letters, digits and `-_.` as they are.
const fileNameOf = (name: string) => encodeURIComponent(name).replaceAll('*', '%2A');

/** Writes `result` as `metadata.json`, `result.json` and `sets/<name>.<format>` under `dir`. */
export async function writeResultDirectory(
  dir: string,
  result: OptimizationResult,
  metadata: ResultMetadata,
  format: 'csv' | 'json',
): Promise<void> {
  await mkdir(join(dir, 'sets'), { recursive: true });
  const rest = result.fieldsJSON();
  const sets: ExportedSet[] = [];
  for (const name of result.listSets()) {
    const set = result.getSet(name);
    const file = `sets/${fileNameOf(name)}.${format}`;
    await writeFile(join(dir, file), format === 'csv' ? setToCsvText(set) : setToJsonText(set));
    const columnTypes: Record<string, string> = {};
    for (const [column, values] of Object.entries(set.columns)) {
      columnTypes[column] = Array.isArray(values)
        ? values.every((v) => typeof v === 'number')
          ? 'number'
          : 'string'
        : values.constructor.name;
    }
    sets.push({ name, file, columnTypes, metadata: set.metadata });
  }
  const exported: ExportedResult = { ...rest, sets };
  const meta: ExportedMetadata = {
    ...metadata,
    createdAt: metadata.createdAt.toISOString(),
    modifiedAt: metadata.modifiedAt.toISOString(),
  };
  await writeFile(join(dir, 'result.json'), `${JSON.stringify(exported, null, 2)}\n`);
  await writeFile(join(dir, 'metadata.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

async function readJson<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new NotFoundError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new CorruptValueError(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads a folder written by {@link writeResultDirectory}. */
export async function readResultDirectory(
  dir: string,
): Promise<{ result: OptimizationResult; metadata: ExportedMetadata }> {
  const exported = await readJson<ExportedResult>(join(dir, 'result.json'));
  const metadata = await readJson<ExportedMetadata>(join(dir, 'metadata.json'));
  const sets: ResultSet[] = [];
  for (const entry of exported.sets) {
    const text = await readFile(join(dir, entry.file), 'utf8');
    try {
      sets.push(
        entry.file.endsWith('.json')
          ? setFromJsonText(text).withName(entry.name)
          : setFromCsvText(text, entry.name, entry.columnTypes, entry.metadata),
      );
    } catch (error) {
      throw new CorruptValueError(`${entry.file} does not read back: ${(error as Error).message}`, { cause: error });
    }
  }
  return { result: new OptimizationResult({ ...exported, sets }), metadata };
}
