export { ByteCache, type CacheOptions, type EvictionPolicy } from './byte-cache.ts';
export {
  type CopyCounts,
  type CopyEntriesOptions,
  type CopyFailure,
  type CopyProgress,
  type CopyReport,
  copyEntries,
  sameEntry,
} from './copy-entries.ts';
export { type SyncDirection, type SyncOptions, type SyncProgress, type SyncReport, syncTiers } from './sync.ts';
export {
  type SecondaryFailure,
  type Tier,
  TieredBackend,
  type TieredBackendOptions,
  type TierView,
} from './tiered-backend.ts';
