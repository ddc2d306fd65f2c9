import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the explorer's browser app when it is missing or stale (test/ui serves it).
    globalSetup: ['test/ui/app-bundle-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Server-backed suites share databases; files run in parallel, tests inside a file in order.
    fileParallelism: true,
    pool: 'forks',
  },
});
