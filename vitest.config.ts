import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the explorer's browser app (test/ui serves it) and compiles dist/ (the CLI is
    // tested as the built binary) when they are missing or stale.
    globalSetup: ['test/ui/app-bundle-setup.ts', 'test/helpers/dist-build-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Server-backed suites share databases; files run in parallel, tests inside a file in order.
    fileParallelism: true,
    pool: 'forks',
  },
});
