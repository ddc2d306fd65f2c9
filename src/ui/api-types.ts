/*
 * The JSON shapes the explorer's HTTP API answers with. The server builds them and the
 * browser app reads them, so both sides import this one file (types only, no runtime code).
 */

/** Metadata of an entry as the API sends it (times in ms since epoch). */
export interface ApiMeta {
  etag: string;
  size: number;
  createdAt: number;
  modifiedAt: number;
  checksum: number;
  attrs: { [key: string]: unknown };
}

/** One store the explorer was started with (`GET /api/session`). */
export interface ApiStoreRef {
  id: number;
  /** The store's password-free label. */
  name: string;
  /** True for a tiered store or a StorageManager (the Tiers page lists it). */
  tiered: boolean;
}

/** What the app needs to start (`GET /api/session`). */
export interface ApiSession {
  write: boolean;
  stores: ApiStoreRef[];
  resultsPrefix: string;
  casPrefix: string;
}

/** One row of the Stores page (`GET /api/stores`). */
export interface ApiStoreInfo {
  id: number;
  name: string;
  type?: string;
  location?: string;
  entries?: number;
  bytes?: number;
  capabilities?: { [capability: string]: boolean | number | undefined };
  driver?: string;
  details?: { [key: string]: unknown };
  /** Set when the store could not report its info (e.g. its server is down). */
  error?: string;
}

/** A child of a folder in the key browser. */
export interface ApiKeyItem {
  kind: 'folder' | 'entry';
  /** The child's name (one segment), or the key relative to the folder in flat listings. */
  name: string;
  /** The full key, `/`-joined. */
  key: string;
  meta?: ApiMeta;
}

/** A page of the key browser (`GET /api/keys`). */
export interface ApiKeyPage {
  items: ApiKeyItem[];
  /** Cursor for the next page (`after=`), absent on the last page. */
  next?: string;
  /** Offset of the next page when sorted by modified time. */
  nextOffset?: number;
}

/**
 * A decoded value as a tree, with containers and strings cut to a preview size
 * (`total` says how many there were).
 */
export type ValueNode =
  | { t: 'null' }
  | { t: 'undefined' }
  | { t: 'boolean'; v: boolean }
  | { t: 'number'; v: number | string }
  | { t: 'bigint'; v: string }
  | { t: 'string'; v: string; total: number }
  | { t: 'date'; v: string }
  | { t: 'array'; items: ValueNode[]; total: number }
  | { t: 'typed'; type: string; items: (number | string)[]; total: number }
  | { t: 'object'; entries: [string, ValueNode][]; total: number }
  | { t: 'map'; entries: [ValueNode, ValueNode][]; total: number }
  | { t: 'set'; items: ValueNode[]; total: number }
  | { t: 'bytes'; hex: string; total: number }
  | { t: 'other'; v: string };

/** How a value was decoded for display. */
export interface ApiDecoded {
  /** The codec used (`json`, `msgpack+gzip`, `text`, `hex`). */
  codec: string;
  /** True when the codec was guessed from the bytes rather than chosen or named by the key. */
  guessed: boolean;
  tree?: ValueNode;
  text?: string;
  /** Hex of the first bytes, for the hex view. */
  hex?: string;
  /** True when only part of the value is shown. */
  truncated: boolean;
  /** Why the chosen codec could not decode the bytes. */
  error?: string;
}

/** An entry with its decoded value (`GET /api/entry`). */
export interface ApiEntry {
  key: string;
  meta: ApiMeta;
  decoded: ApiDecoded;
}

/** A stored optimisation result in the list (`GET /api/results`). */
export interface ApiResultSummary {
  key: string;
  createdAt: number;
  modifiedAt: number;
  sizeBytes: number;
  nPoints: number;
  nSets: number;
  custom: { [key: string]: unknown };
}

/** A page of the results list. */
export interface ApiResultList {
  results: ApiResultSummary[];
  total: number;
}

/** A column of a result set. */
export interface ApiColumn {
  name: string;
  kind: 'number' | 'string';
}

/** One result set's shape. */
export interface ApiSetInfo {
  name: string;
  nPoints: number;
  columns: ApiColumn[];
  metadata: { [key: string]: unknown };
}

/** An objective, with its direction. */
export interface ApiObjective {
  name: string;
  sense: 'minimize' | 'maximize';
}

/** A result's description (`GET /api/result`). */
export interface ApiResult {
  summary: ApiResultSummary;
  problem: { [key: string]: unknown };
  objectives: ApiObjective[];
  designVariables: { [key: string]: unknown }[];
  constraints: { [key: string]: unknown }[];
  metadata: { [key: string]: unknown };
  sets: ApiSetInfo[];
}

/** A page of a set's rows (`GET /api/result/rows`). */
export interface ApiRows {
  columns: string[];
  /** Row numbers in the set (0-based), one per row. */
  index: number[];
  rows: (number | string | null)[][];
  total: number;
}

/** Whole columns of a set, for plots (`GET /api/result/columns`); NaN is `null`. */
export interface ApiColumns {
  nPoints: number;
  columns: { [name: string]: (number | string | null)[] };
}

/** A memoised function's summary (`GET /api/calls`). */
export interface ApiFunctionSummary {
  fn: string;
  versions: string[];
  calls: number;
  errors: number;
  totalMs: number;
  maxMs: number;
  params: string[];
}

/** A stored value referred to by digest, with a preview when it is stored. */
export interface ApiDigestValue {
  digest: string;
  stored: boolean;
  preview?: ValueNode;
  error?: string;
}

/** One call record with its argument values and result preview. */
export interface ApiCall {
  id: string;
  fn: string;
  version: string;
  startedAt: number;
  durationMs: number;
  args: { [name: string]: ApiDigestValue };
  result?: ApiDigestValue;
  error?: { name: string; message: string };
}

/** Matching calls (`GET /api/calls/query`): durations of all of them, and one page, slowest first. */
export interface ApiCallQuery {
  total: number;
  durations: number[];
  calls: ApiCall[];
  offset: number;
}

/** A tiered store, or a pair of the given stores seen as primary and secondary (`GET /api/tiers`). */
export interface ApiTierSource {
  id: string;
  name: string;
  primary: string;
  secondary?: string;
  hasCache: boolean;
}

/** Where one key lives across tiers. */
export interface ApiTierRow {
  key: string;
  tiers: ('cache' | 'primary' | 'secondary')[];
  /** `same` when both copies have equal size, checksum and attrs. */
  state: 'same' | 'differs' | 'primary-only' | 'secondary-only';
  /** Which copy is newer when they differ. */
  newer?: 'primary' | 'secondary';
  primaryModifiedAt?: number;
  secondaryModifiedAt?: number;
}

/** A page of the tier view (`GET /api/tiers/keys`). */
export interface ApiTierPage {
  rows: ApiTierRow[];
  next?: string;
}

/** A dry-run sync (`GET /api/tiers/diff`): counts from the library's own sync, and the keys it would copy. */
export interface ApiSyncDiff {
  direction: 'primaryToSecondary' | 'secondaryToPrimary' | 'bidirectional';
  copied: number;
  skipped: number;
  conflicts: number;
  errors: number;
  /** The keys a sync would copy (first 1,000), with what kind of change each is. */
  changes: { key: string; change: 'copy' | 'conflict' }[];
  /** True when more keys would be copied than `changes` lists. */
  more: boolean;
}

/** An error answer. */
export interface ApiError {
  error: { code: string; message: string };
}
