import { registerBackend } from '../core/registry.ts';

/*
 * URL schemes of the bundled backends. Each module is imported only when a store of
 * its type is opened, and its driver only then, so unused drivers need not be installed.
 */
registerBackend({ type: 'memory', schemes: ['memory'], load: () => import('./memory.ts') });
registerBackend({ type: 'fs', schemes: ['file', 'fs'], load: () => import('./fs/index.ts') });
registerBackend({
  type: 'sqlite',
  schemes: ['sqlite', 'sqlite3'],
  load: () => import('./sql/sqlite.ts'),
  driverSuffixes: true,
});
registerBackend({
  type: 'postgres',
  schemes: ['postgres', 'postgresql'],
  load: () => import('./sql/postgres.ts'),
  driverSuffixes: true,
});
registerBackend({
  type: 'mysql',
  schemes: ['mysql', 'mariadb'],
  load: () => import('./sql/mysql.ts'),
  driverSuffixes: true,
});
registerBackend({ type: 'redis', schemes: ['redis'], load: () => import('./redis.ts') });
registerBackend({ type: 'lmdb', schemes: ['lmdb'], load: () => import('./lmdb.ts') });
registerBackend({ type: 'duckdb', schemes: ['duckdb'], load: () => import('./sql/duckdb.ts'), driverSuffixes: true });
registerBackend({ type: 'void', schemes: ['void'], load: () => import('./void.ts') });
registerBackend({ type: 'hdf5', schemes: ['hdf5', 'h5'], load: () => import('./hdf5/index.ts') });
registerBackend({ type: 's3', schemes: ['s3'], load: () => import('./s3.ts') });
