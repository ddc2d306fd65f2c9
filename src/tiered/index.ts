export { ByteCache, type CacheOptions, type EvictionPolicy } from './byte-cache.ts';
export { type SyncDirection, type SyncOptions, type SyncProgress, type SyncReport, syncTiers } from './sync.ts';
export {
  type SecondaryFailure,
  type Tier,
  TieredBackend,
  type TieredBackendOptions,
  type TierView,
} from './tiered-backend.ts';
