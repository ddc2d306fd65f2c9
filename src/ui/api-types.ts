/*
 * The JSON shapes the explorer's HTTP API answers with. The server builds them and the
 * browser app reads them, so both sides import this one file (types only, no runtime code).
 */

/** Metadata of an entry as the API sends it (times in ms since epoch). */
export interface ApiMeta {
  /** The entry's ETag, for conditional edits. */
  etag: string;
  /** Stored size in bytes. */
  size: number;
  /** When the key was first written. */
  createdAt: number;
  /** When the value was last replaced. */
  modifiedAt: number;
  /** CRC-32 of the stored bytes. */
  checksum: number;
  /** The entry's attributes. */
  attrs: { [key: string]: unknown };
}

/** One store the explorer was started with (`GET /api/session`). */
export interface ApiStoreRef {
  /** Index of the store in the session, used as `store=` in requests. */
  id: number;
  /** The store's password-free label. */
  name: string;
  /** True for a tiered store or a StorageManager (the Tiers page lists it). */
  tiered: boolean;
}

/** What the app needs to start (`GET /api/session`). */
export interface ApiSession {
  /** True when the explorer was started with `--write` (edits allowed). */
  write: boolean;
  /** The stores the explorer was started with. */
  stores: ApiStoreRef[];
  /** Key prefix under which the Results page looks for ResultStore results. */
  resultsPrefix: string;
  /** Key prefix under which the Calls page looks for memoised calls. */
  casPrefix: string;
}

/** One row of the Stores page (`GET /api/stores`). */
export interface ApiStoreInfo {
  /** Index of the store in the session. */
  id: number;
  /** The store's password-free label. */
  name: string;
  /** Backend type (`sqlite`, `fs`, `tiered`, ...). */
  type?: string;
  /** Where the data lives (path, host and table, bucket), without a password. */
  location?: string;
  /** Number of entries, when the backend can count them. */
  entries?: number;
  /** Bytes stored, when the backend can count them. */
  bytes?: number;
  /** The backend's declared capabilities and limits. */
  capabilities?: { [capability: string]: boolean | number | undefined };
  /** The driver library in use, where a backend has a choice (sqlite: `better-sqlite3` or `node`). */
  driver?: string;
  /** Backend-specific details from `info()`. */
  details?: { [key: string]: unknown };
  /** Set when the store could not report its info (e.g. its server is down). */
  error?: string;
}

/** A child of a folder in the key browser. */
export interface ApiKeyItem {
  /** A folder (a key prefix with entries below it) or an entry. */
  kind: 'folder' | 'entry';
  /** The child's name (one segment), or the key relative to the folder in flat listings. */
  name: string;
  /** The full key, `/`-joined. */
  key: string;
  /** The entry's metadata (entries only). */
  meta?: ApiMeta;
}

/** A page of the key browser (`GET /api/keys`). */
export interface ApiKeyPage {
  /** The children on this page. */
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
  | ScalarNode<'null' | 'undefined'>
  | ValueNodeWith<
      'boolean',
      {
        /** The value. */
        v: boolean;
      }
    >
  | ValueNodeWith<
      'number',
      {
        /** The number; NaN and infinities as text. */
        v: number | string;
      }
    >
  | ValueNodeWith<
      'bigint' | 'date' | 'other',
      {
        /** The value as text. */
        v: string;
      }
    >
  | ValueNodeWith<
      'string',
      {
        /** The start of the string. */
        v: string;
      } & Counted
    >
  | ValueNodeWith<
      'array' | 'set',
      {
        /** The first elements. */
        items: ValueNode[];
      } & Counted
    >
  | ValueNodeWith<
      'typed',
      {
        /** The typed array's class, e.g. `Float64Array`. */
        type: string;
        /** The first elements (64-bit integers as text). */
        items: (number | string)[];
      } & Counted
    >
  | ValueNodeWith<
      'object',
      {
        /** The first properties. */
        entries: [string, ValueNode][];
      } & Counted
    >
  | ValueNodeWith<
      'map',
      {
        /** The first entries. */
        entries: [ValueNode, ValueNode][];
      } & Counted
    >
  | ValueNodeWith<
      'bytes',
      {
        /** Hex of the first bytes. */
        hex: string;
      } & Counted
    >;

/** A {@link ValueNode} without a payload. */
export interface ScalarNode<T extends string> {
  /** The kind of value. */
  t: T;
}

/** A {@link ValueNode} of kind `T` with the fields `F`. */
export type ValueNodeWith<T extends string, F> = ScalarNode<T> & F;

/** The size of a container or string that a node shows only the start of. */
export interface Counted {
  /** How many elements (characters, bytes) the whole value has. */
  total: number;
}

/** How a value was decoded for display. */
export interface ApiDecoded {
  /** The codec used (`json`, `msgpack+gzip`, `text`, `hex`). */
  codec: string;
  /** True when the codec was guessed from the bytes rather than chosen or named by the key. */
  guessed: boolean;
  /** The value as a tree, for structured codecs. */
  tree?: ValueNode;
  /** The value as text, for the `text` codec. */
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
  /** The entry's key, `/`-joined. */
  key: string;
  /** The entry's metadata. */
  meta: ApiMeta;
  /** The decoded value. */
  decoded: ApiDecoded;
}

/** A stored optimisation result in the list (`GET /api/results`). */
export interface ApiResultSummary {
  /** The result's key in the ResultStore. */
  key: string;
  /** When the result was first saved. */
  createdAt: number;
  /** When the result was last saved. */
  modifiedAt: number;
  /** Bytes stored for the result, sets included. */
  sizeBytes: number;
  /** Rows of the result's main set. */
  nPoints: number;
  /** Number of named result sets. */
  nSets: number;
  /** The user's custom metadata. */
  custom: { [key: string]: unknown };
}

/** A page of the results list. */
export interface ApiResultList {
  /** The results on this page. */
  results: ApiResultSummary[];
  /** Results matching the query, on all pages. */
  total: number;
}

/** A column of a result set. */
export interface ApiColumn {
  /** Column name. */
  name: string;
  /** Whether the column holds numbers or strings. */
  kind: 'number' | 'string';
}

/** One result set's shape. */
export interface ApiSetInfo {
  /** The set's name. */
  name: string;
  /** Number of rows. */
  nPoints: number;
  /** The set's columns. */
  columns: ApiColumn[];
  /** The set's own metadata. */
  metadata: { [key: string]: unknown };
}

/** An objective, with its direction. */
export interface ApiObjective {
  /** Objective name (a column of the sets). */
  name: string;
  /** Whether lower or higher is better. */
  sense: 'minimize' | 'maximize';
}

/** A result's description (`GET /api/result`). */
export interface ApiResult {
  /** The same summary as in the results list. */
  summary: ApiResultSummary;
  /** The problem description saved with the result. */
  problem: { [key: string]: unknown };
  /** The objectives, with their directions. */
  objectives: ApiObjective[];
  /** The design variables' descriptions. */
  designVariables: { [key: string]: unknown }[];
  /** The constraints' descriptions. */
  constraints: { [key: string]: unknown }[];
  /** The result's metadata. */
  metadata: { [key: string]: unknown };
  /** The shape of each named set. */
  sets: ApiSetInfo[];
}

/** A page of a set's rows (`GET /api/result/rows`). */
export interface ApiRows {
  /** Column names, in the order of each row's cells. */
  columns: string[];
  /** Row numbers in the set (0-based), one per row. */
  index: number[];
  /** The rows of this page; NaN is `null`. */
  rows: (number | string | null)[][];
  /** Rows in the set (after filtering), on all pages. */
  total: number;
}

/** Whole columns of a set, for plots (`GET /api/result/columns`); NaN is `null`. */
export interface ApiColumns {
  /** Number of rows. */
  nPoints: number;
  /** Each column's values by name. */
  columns: { [name: string]: (number | string | null)[] };
}

/** A memoised function's summary (`GET /api/calls`). */
export interface ApiFunctionSummary {
  /** The function's name. */
  fn: string;
  /** The function versions that have call records. */
  versions: string[];
  /** Number of call records. */
  calls: number;
  /** Number of calls that threw. */
  errors: number;
  /** Total computing time of the recorded calls. */
  totalMs: number;
  /** Longest recorded call. */
  maxMs: number;
  /** Parameter names seen in the call records. */
  params: string[];
}

/** A stored value referred to by digest, with a preview when it is stored. */
export interface ApiDigestValue {
  /** The value's content digest. */
  digest: string;
  /** False when the value's node is missing from the store. */
  stored: boolean;
  /** A preview of the value. */
  preview?: ValueNode;
  /** Why the value could not be read or decoded. */
  error?: string;
}

/** One call record with its argument values and result preview. */
export interface ApiCall {
  /** The call id (digest of function, version and arguments). */
  id: string;
  /** The function's name. */
  fn: string;
  /** The function version recorded with the call. */
  version: string;
  /** When the computation started. */
  startedAt: number;
  /** How long the computation took. */
  durationMs: number;
  /** The arguments by name. */
  args: { [name: string]: ApiDigestValue };
  /** The result, unless the call threw. */
  result?: ApiDigestValue;
  /** The error the call threw, if it did. */
  error?: {
    /** The error's class name. */
    name: string;
    /** The error's message. */
    message: string;
  };
}

/** Matching calls (`GET /api/calls/query`): durations of all of them, and one page, slowest first. */
export interface ApiCallQuery {
  /** Number of matching calls. */
  total: number;
  /** Durations of every matching call (for the histogram). */
  durations: number[];
  /** One page of matching calls, slowest first. */
  calls: ApiCall[];
  /** Offset of this page. */
  offset: number;
}

/** A tiered store, or a pair of the given stores seen as primary and secondary (`GET /api/tiers`). */
export interface ApiTierSource {
  /** Identifier used as `source=` in tier requests. */
  id: string;
  /** Label shown for the pair. */
  name: string;
  /** Label of the primary tier. */
  primary: string;
  /** Label of the secondary tier, if any. */
  secondary?: string;
  /** True when the store has an in-memory cache tier. */
  hasCache: boolean;
}

/** Where one key lives across tiers. */
export interface ApiTierRow {
  /** The key. */
  key: string;
  /** The tiers that hold the key. */
  tiers: ('cache' | 'primary' | 'secondary')[];
  /** `same` when both copies have equal size, checksum and attrs. */
  state: 'same' | 'differs' | 'primary-only' | 'secondary-only';
  /** Which copy is newer when they differ. */
  newer?: 'primary' | 'secondary';
  /** When the primary's copy was last written. */
  primaryModifiedAt?: number;
  /** When the secondary's copy was last written. */
  secondaryModifiedAt?: number;
}

/** A page of the tier view (`GET /api/tiers/keys`). */
export interface ApiTierPage {
  /** The keys on this page. */
  rows: ApiTierRow[];
  /** Cursor for the next page, absent on the last page. */
  next?: string;
}

/** A dry-run sync (`GET /api/tiers/diff`): counts from the library's own sync, and the keys it would copy. */
export interface ApiSyncDiff {
  /** Which way the sync would copy. */
  direction: 'primaryToSecondary' | 'secondaryToPrimary' | 'bidirectional';
  /** Keys the sync would copy. */
  copied: number;
  /** Keys already equal on both sides. */
  skipped: number;
  /** Keys changed on both sides. */
  conflicts: number;
  /** Keys that could not be compared. */
  errors: number;
  /** The keys a sync would copy (first 1,000), with what kind of change each is. */
  changes: {
    /** The key. */
    key: string;
    /** `copy` for a one-sided change, `conflict` when both sides changed. */
    change: 'copy' | 'conflict';
  }[];
  /** True when more keys would be copied than `changes` lists. */
  more: boolean;
}

/** An error answer. */
export interface ApiError {
  /** What went wrong. */
  error: {
    /** A stable code (the error class name). */
    code: string;
    /** What went wrong. */
    message: string;
  };
}
