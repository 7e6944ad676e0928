import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'protocol/**/*.test.ts', 'lib/**/*.test.ts', 'signaling/**/*.test.ts', 'cli/**/*.test.ts', 'client-app/**/*.test.ts', 'zookeeper/**/*.test.ts'],
    // Simulator suites run hundreds of seeds; generous, never tight.
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
});
