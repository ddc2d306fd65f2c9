import type * as S3 from '@aws-sdk/client-s3';
import { matchesAttrs } from '../core/attr-filter.ts';
import type * as contract from '../core/backend.ts';
import { BaseBackend, copyAttrs, type ListPlan } from '../core/backend-base.ts';
import { CorruptValueError, OperationError, StoreNotFoundError } from '../core/errors.ts';
import { compareKeyPaths, isDirectChild, type Key, type KeyInput, splitPath } from '../core/keys.ts';
import { decodeUrlPart, parseUrl } from '../core/url.ts';
import { classifyDriverError } from './kit/driver-errors.ts';
import { decodeEntry, encodeEntry, MalformedEntryError, parseHeader } from './kit/entry-record.ts';
import { inParallel, inParallelPerKey } from './kit/in-parallel.ts';
import { loadDriver } from './kit/load-driver.ts';
import { makeMeta, verifyValue } from './kit/meta.ts';
import { checkKnownParams, checkOptions, type OptionRules, optionsFromConfig, requireString } from './kit/options.ts';
import { boolParam } from './kit/store-url.ts';

/** Whether the server enforces `If-Match` / `If-None-Match` on writes. */
export type S3ConditionalWrites = 'native' | 'none';

/** Options of {@link S3Backend}. */
export interface S3BackendOptions {
  /** The bucket holding the store. */
  bucket: string;
  /** Object-name prefix of this store inside the bucket. */
  prefix?: string | undefined;
  /** The bucket's region (default `us-east-1`). */
  region?: string | undefined;
  /** An S3-compatible endpoint, e.g. `http://127.0.0.1:9000` (path-style addressing is used). */
  endpoint?: string | undefined;
  /** Access key id; without it the AWS SDK's default credential chain applies. */
  accessKeyId?: string | undefined;
  /** Never stored in `toConfig()` or shown in errors; prefer `secretAccessKeyEnv`. */
  secretAccessKey?: string | undefined;
  /** Name of an environment variable holding the secret key (kept in `toConfig()`). */
  secretAccessKeyEnv?: string | undefined;
  /**
   * `native` (default): conditional writes send `If-Match` / `If-None-Match`, which AWS S3
   * enforces atomically. `none`: for servers that ignore those headers (s3rver, older
   * MinIO): the capability is declared absent and conditional calls fail clearly.
   */
  conditionalWrites?: S3ConditionalWrites | undefined;
  /** Create the bucket when it does not exist (default true). */
  createBucket?: boolean | undefined;
}

const OPTIONS: OptionRules = {
  bucket: 'string',
  prefix: 'string',
  region: 'string',
  endpoint: 'string',
  accessKeyId: 'string',
  secretAccessKey: 'string',
  secretAccessKeyEnv: 'string',
  conditionalWrites: ['native', 'none'],
  createBucket: 'boolean',
};

// The secret key has no URL parameter: it is read from the environment (secretAccessKeyEnv).
const URL_PARAMS = ['endpoint', 'region', 'accessKeyId', 'secretAccessKeyEnv', 'conditionalWrites', 'createBucket'];

const PARALLEL = 16;
const HEADER_BYTES = 4096;

/**
 * Amazon S3 or an S3-compatible server through @aws-sdk/client-s3. Each entry is one
 * object (header with metadata, then the value), so a value and its metadata change
 * together; the object's ETag is the entry's ETag. Listing is ListObjectsV2 with
 * continuation tokens; metadata comes from a ranged read of each object's header.
 *
 * @example
 * ```ts
 * const store = await S3Backend.open({ bucket: 'results', region: 'eu-west-1' });
 * ```
 */
export class S3Backend extends BaseBackend {
  readonly capabilities: contract.Capabilities;
  readonly label: string;
  readonly #s3: typeof S3;
  readonly #client: S3.S3Client;
  readonly #options: S3BackendOptions;
  readonly #secret: string | undefined;
  readonly #base: string;

  private constructor(s3: typeof S3, client: S3.S3Client, options: S3BackendOptions, secret: string | undefined) {
    super();
    this.#s3 = s3;
    this.#client = client;
    this.#options = options;
    this.#secret = secret;
    this.#base = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
    this.label = `s3://${options.bucket}/${options.prefix ?? ''}${options.endpoint ? `?endpoint=${options.endpoint}` : ''}`;
    this.capabilities = {
      persistent: true,
      atomicConditionalWrite: (options.conditionalWrites ?? 'native') === 'native',
      multiProcess: true,
      queryAttrs: false,
      atomicBatch: false,
    };
  }

  /**
   * Connects, and creates the bucket if needed (`createBucket`). With `{ create: false }`
   * the bucket must exist, and with a prefix hold an object under it (an emptied prefix
   * leaves nothing behind); otherwise `StoreNotFoundError`, and nothing is created.
   */
  static async open(options: S3BackendOptions, openOptions: contract.OpenOptions = {}): Promise<S3Backend> {
    checkOptions(options, OPTIONS, 's3');
    requireString(options.bucket, 'bucket', 's3');
    const s3 = await loadDriver<typeof S3>('@aws-sdk/client-s3', 's3');
    const secret =
      options.secretAccessKey ?? (options.secretAccessKeyEnv ? process.env[options.secretAccessKeyEnv] : undefined);
    const client = new s3.S3Client({
      region: options.region ?? 'us-east-1',
      endpoint: options.endpoint,
      forcePathStyle: options.endpoint !== undefined,
      credentials:
        options.accessKeyId && secret ? { accessKeyId: options.accessKeyId, secretAccessKey: secret } : undefined,
    });
    const backend = new S3Backend(s3, client, options, secret);
    if (openOptions.create === false) {
      await backend.#mustExist();
      return backend;
    }
    if (options.createBucket ?? true) {
      await backend
        .#send('open', undefined, false, () => client.send(new s3.HeadBucketCommand({ Bucket: options.bucket })))
        .catch(async () => {
          await backend.#send('open', undefined, false, () =>
            client.send(new s3.CreateBucketCommand({ Bucket: options.bucket })),
          );
        });
    }
    return backend;
  }

  async #mustExist(): Promise<void> {
    const missing = (what: string) =>
      new StoreNotFoundError(`${what}, and create is false (it opens existing stores only)`, { backend: this.label });
    const bucket = this.#options.bucket;
    try {
      await this.#send('open', undefined, false, () =>
        this.#client.send(new this.#s3.HeadBucketCommand({ Bucket: bucket })),
      );
    } catch (error) {
      if (isMissing(error)) throw missing(`There is no bucket '${bucket}'`);
      throw error;
    }
    if (this.#base === '') return;
    const page = await this.#send('open', undefined, false, () =>
      this.#client.send(new this.#s3.ListObjectsV2Command({ Bucket: bucket, Prefix: this.#base, MaxKeys: 1 })),
    );
    if (!page.KeyCount) throw missing(`There is nothing under the prefix '${this.#base}' of bucket '${bucket}'`);
  }

  async get(input: KeyInput): Promise<contract.StoredValue | undefined> {
    const { path } = this.key(input);
    const object = await this.#read(path);
    if (!object) return undefined;
    const entry = this.#decode(() => decodeEntry(object.body), path);
    const meta = { ...entry.meta, etag: object.etag };
    verifyValue(entry.value, meta, path, this.label);
    return { value: new Uint8Array(entry.value), meta };
  }

  async stat(input: KeyInput): Promise<contract.Meta | undefined> {
    const { path } = this.key(input);
    return this.#statObject(path);
  }

  async put(input: KeyInput, value: Uint8Array, options: contract.PutOptions = {}): Promise<contract.Meta> {
    const { path } = this.checkPut(input, value, options);
    this.#needConditions(path, options.ifAbsent || options.ifMatch !== undefined);
    const previous = options.ifAbsent ? undefined : await this.stat(path);
    if (options.ifMatch !== undefined && previous?.etag !== options.ifMatch)
      throw this.conditionFailed(path, previous?.etag, options);
    const meta = makeMeta(value, copyAttrs(options.attrs), previous?.createdAt);
    const body = Buffer.concat(encodeEntry(path, meta, value));
    try {
      const response = await this.#send('put', path, true, () =>
        this.#client.send(
          new this.#s3.PutObjectCommand({
            Bucket: this.#options.bucket,
            Key: this.#object(path),
            Body: body,
            IfNoneMatch: options.ifAbsent ? '*' : undefined,
            IfMatch: options.ifMatch,
          }),
        ),
      );
      return { ...meta, etag: response.ETag ?? meta.etag };
    } catch (error) {
      if (isPreconditionFailure(error)) throw this.conditionFailed(path, (await this.stat(path))?.etag, options);
      throw error;
    }
  }

  async delete(input: KeyInput, options: contract.DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    this.#needConditions(path, options.ifMatch !== undefined);
    const current = await this.stat(path);
    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch)
      throw this.conditionFailed(path, current?.etag, options);
    if (!current) return false;
    try {
      await this.#send('delete', path, true, () =>
        this.#client.send(
          new this.#s3.DeleteObjectCommand({
            Bucket: this.#options.bucket,
            Key: this.#object(path),
            IfMatch: options.ifMatch,
          }),
        ),
      );
    } catch (error) {
      if (isPreconditionFailure(error)) throw this.conditionFailed(path, (await this.stat(path))?.etag, options);
      throw error;
    }
    return true;
  }

  async *list(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<contract.ListedEntry> {
    const plan = this.planList(prefixInput, options);
    let emitted = 0;
    for await (const paths of this.#pagesOfPaths(plan)) {
      const metas = await inParallel(paths, PARALLEL, (p) => this.#statObject(p));
      for (const [i, meta] of metas.entries()) {
        if (!meta || !matchesAttrs(meta.attrs, plan.where)) continue;
        if (emitted >= plan.limit) return;
        emitted++;
        yield { key: splitPath(paths[i] as string), meta };
      }
      if (emitted >= plan.limit) return;
    }
  }

  /** Keys from ListObjectsV2 alone, with no request per object (unless `where` needs headers). */
  override async *keys(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<Key> {
    const plan = this.planList(prefixInput, options);
    if (plan.where) {
      yield* super.keys(prefixInput, options);
      return;
    }
    yield* this.firstKeys(flatten(this.#pagesOfPaths(plan)), plan.limit);
  }

  async *#pagesOfPaths(plan: ListPlan): AsyncIterable<string[]> {
    // Object names are the key paths, so the range's lower end is the listing's prefix.
    const listPrefix = this.#base + plan.range.lower;
    let token: string | undefined;
    do {
      const page = await this.#send('list', undefined, false, () =>
        this.#client.send(
          new this.#s3.ListObjectsV2Command({
            Bucket: this.#options.bucket,
            Prefix: listPrefix,
            Delimiter: plan.recursive ? undefined : '/',
            StartAfter: token === undefined && plan.after !== undefined ? this.#object(plan.after) : undefined,
            ContinuationToken: token,
            MaxKeys: 1000,
          }),
        ),
      );
      // S3 lists in UTF-8 order already; some compatible servers list in their own file
      // order, which sorting the page fixes for listings that fit one page.
      yield (page.Contents ?? [])
        .map((o) => (o.Key ?? '').slice(this.#base.length))
        .filter((p) => plan.recursive || isDirectChild(p, plan.prefix.path))
        .sort(compareKeyPaths);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  override async getMany(keys: readonly KeyInput[]): Promise<(contract.StoredValue | undefined)[]> {
    for (const key of keys) this.key(key);
    return inParallel(keys, PARALLEL, (k) => this.get(k));
  }

  override async putMany(entries: readonly contract.PutManyEntry[]): Promise<contract.Meta[]> {
    const paths = entries.map((e) => this.checkPut(e.key, e.value, { attrs: e.attrs }).path);
    return inParallelPerKey(entries, paths, PARALLEL, (e) => this.put(e.key, e.value, { attrs: e.attrs }));
  }

  override async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    const paths = [...new Set(keys.map((k) => this.key(k).path))];
    const present = (await inParallel(paths, PARALLEL, (p) => this.stat(p))).filter(Boolean).length;
    await this.#deleteObjects(paths.map((p) => this.#object(p)));
    return present;
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const prefix = this.prefix(prefixInput);
    const paths: string[] = [];
    for await (const { key } of this.list(prefix.segments)) paths.push(key.join('/'));
    await this.#deleteObjects(paths.map((p) => this.#object(p)));
    return paths.length;
  }

  async info(): Promise<contract.BackendInfo> {
    const { entries, bytes } = await this.countByListing();
    return {
      type: 's3',
      location: this.label,
      entries,
      bytes,
      capabilities: this.capabilities,
      details: { bucket: this.#options.bucket, conditionalWrites: this.#options.conditionalWrites ?? 'native' },
    };
  }

  toConfig(): contract.BackendConfig {
    const o = this.#options;
    return {
      type: 's3',
      bucket: o.bucket,
      prefix: o.prefix,
      region: o.region,
      endpoint: o.endpoint,
      accessKeyId: o.accessKeyId,
      secretAccessKeyEnv: o.secretAccessKeyEnv,
      conditionalWrites: o.conditionalWrites,
      createBucket: o.createBucket,
    };
  }

  protected async closeResources(): Promise<void> {
    this.#client.destroy();
  }

  #object(path: string): string {
    return this.#base + path;
  }

  #needConditions(path: string, conditional: boolean | undefined): void {
    if (conditional && !this.capabilities.atomicConditionalWrite) {
      throw new OperationError(
        'This S3 store was opened with conditionalWrites: none (the server does not enforce If-Match / If-None-Match), so ifMatch / ifAbsent are not available',
        { key: path, backend: this.label },
      );
    }
  }

  async #read(path: string, range?: string): Promise<{ body: Buffer; etag: string } | undefined> {
    try {
      const response = await this.#send('get', path, false, () =>
        this.#client.send(
          new this.#s3.GetObjectCommand({ Bucket: this.#options.bucket, Key: this.#object(path), Range: range }),
        ),
      );
      const body = Buffer.from(
        await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      return { body, etag: response.ETag ?? '' };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async #statObject(path: string): Promise<contract.Meta | undefined> {
    const first = await this.#read(path, `bytes=0-${HEADER_BYTES - 1}`);
    if (!first) return undefined;
    let header: ReturnType<typeof parseHeader>;
    try {
      header = parseHeader(first.body);
    } catch (error) {
      // The header is longer than the first read (large attrs): read the whole object.
      if (!(error instanceof MalformedEntryError) || !/truncated/.test(error.message)) {
        throw new CorruptValueError(`Stored object is damaged: ${(error as Error).message}`, {
          key: path,
          backend: this.label,
        });
      }
      const whole = await this.#read(path);
      if (!whole) return undefined;
      header = this.#decode(() => parseHeader(whole.body), path);
    }
    return { ...header.meta, etag: first.etag };
  }

  async #deleteObjects(objects: string[]): Promise<void> {
    for (let i = 0; i < objects.length; i += 1000) {
      const chunk = objects.slice(i, i + 1000);
      if (chunk.length === 0) continue;
      await this.#send('delete', undefined, true, () =>
        this.#client.send(
          new this.#s3.DeleteObjectsCommand({
            Bucket: this.#options.bucket,
            Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
    }
  }

  #decode<T>(fn: () => T, path: string): T {
    try {
      return fn();
    } catch (error) {
      throw new CorruptValueError(`Stored object is damaged: ${(error as Error).message}`, {
        key: path,
        backend: this.label,
      });
    }
  }

  async #send<T>(what: string, key: string | undefined, write: boolean, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (error) {
      if (isMissing(error) || isPreconditionFailure(error)) throw error;
      throw classifyDriverError(error, {
        backend: this.label,
        what,
        key,
        write,
        secrets: [this.#secret],
        address: this.#options.endpoint,
      });
    }
  }
}

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || status(error) === 404;
}

// Servers differ: a failed precondition is 412; a concurrent conditional write may be 409.
function isPreconditionFailure(error: unknown): boolean {
  const code = status(error);
  return code === 412 || code === 409 || (error as { name?: string })?.name === 'PreconditionFailed';
}

/** Parses `s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=...&accessKeyId=...&secretAccessKeyEnv=VAR&conditionalWrites=none`. */
export function configFromUrl(url: string): contract.BackendConfig {
  const u = parseUrl(url);
  const p = u.searchParams;
  checkKnownParams(p, URL_PARAMS, 's3');
  const conditionalWrites = p.get('conditionalWrites') ?? undefined;
  if (conditionalWrites !== undefined && conditionalWrites !== 'native' && conditionalWrites !== 'none') {
    throw new OperationError(`conditionalWrites must be native or none, got '${conditionalWrites}'`);
  }
  return {
    type: 's3',
    bucket: u.hostname,
    prefix: decodeUrlPart(u.pathname.replace(/^\//, ''), url) || undefined,
    region: p.get('region') ?? undefined,
    endpoint: p.get('endpoint') ?? undefined,
    accessKeyId: p.get('accessKeyId') ?? (u.username ? decodeUrlPart(u.username, url) : undefined),
    secretAccessKeyEnv: p.get('secretAccessKeyEnv') ?? undefined,
    conditionalWrites,
    createBucket: boolParam(p, 'createBucket', 's3'),
    // Kept out of toConfig(); only used to open this one client.
    secretAccessKey: u.password ? decodeUrlPart(u.password, url) : undefined,
  };
}

/** Opens an S3 store from its config. */
export async function openFromConfig(
  config: contract.BackendConfig,
  options?: contract.OpenOptions,
): Promise<S3Backend> {
  return S3Backend.open(optionsFromConfig<S3BackendOptions>(config), options);
}

async function* flatten<T>(pages: AsyncIterable<T[]>): AsyncIterable<T> {
  for await (const page of pages) yield* page;
}
