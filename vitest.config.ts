import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: files run one after another; each file's own concurrency is what it measures.
    fileParallelism: false,
    pool: "forks",
  },
});
