import type {
  BackendConfig,
  BackendInfo,
  Capabilities,
  DeleteOptions,
  ListedEntry,
  Meta,
  PutOptions,
  StoredValue,
} from '../core/backend.ts';
import { BaseBackend, copyAttrs } from '../core/backend-base.ts';
import type { KeyInput } from '../core/keys.ts';
import { makeMeta } from './kit/meta.ts';
import { checkKnownOptions } from './kit/options.ts';

const CAPABILITIES: Capabilities = {
  persistent: false,
  atomicConditionalWrite: false,
  multiProcess: true,
  queryAttrs: false,
  atomicBatch: true,
};

/**
 * Stores nothing: writes succeed and are dropped, every read misses (fleche's Void
 * backends). Put it under a memoised function or a cache to switch caching off
 * without changing code.
 *
 * @example
 * ```ts
 * const store = createMemoStore(await openBackend('void://'));
 * ```
 */
export class VoidBackend extends BaseBackend {
  readonly capabilities = CAPABILITIES;
  readonly label = 'void://';

  constructor() {
    // Nothing is stored and every call completes at once: close() has nothing to wait for.
    super({ trackCalls: false });
  }

  async get(input: KeyInput): Promise<StoredValue | undefined> {
    this.key(input);
    return undefined;
  }

  async stat(input: KeyInput): Promise<Meta | undefined> {
    this.key(input);
    return undefined;
  }

  async put(input: KeyInput, value: Uint8Array, options: PutOptions = {}): Promise<Meta> {
    const { path } = this.checkPut(input, value, options);
    // Nothing is ever stored, so a write that expects a current version cannot succeed.
    if (options.ifMatch !== undefined) throw this.conditionFailed(path, undefined, options);
    return makeMeta(value, copyAttrs(options.attrs));
  }

  async delete(input: KeyInput, options: DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    if (options.ifMatch !== undefined) throw this.conditionFailed(path, undefined, options);
    return false;
  }

  async *list(prefix?: KeyInput): AsyncIterable<ListedEntry> {
    this.prefix(prefix);
    yield* [];
  }

  async clear(prefix?: KeyInput): Promise<number> {
    this.prefix(prefix);
    return 0;
  }

  async info(): Promise<BackendInfo> {
    return { type: 'void', location: 'void://', entries: 0, bytes: 0, capabilities: this.capabilities };
  }

  toConfig(): BackendConfig {
    return { type: 'void' };
  }

  protected async closeResources(): Promise<void> {}
}

/** Parses `void://`. */
export function configFromUrl(): BackendConfig {
  return { type: 'void' };
}

/** Opens a void store; it holds nothing, so it opens with `{ create: false }` too, creating nothing. */
export async function openFromConfig(config: BackendConfig): Promise<VoidBackend> {
  checkKnownOptions(config, [], 'void');
  return new VoidBackend();
}
