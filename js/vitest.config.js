import { defineConfig } from "vitest/config";

export default defineConfig({
  // tests/bundle.test.js imports the built files from ../limewidgets/static.
  server: { fs: { allow: [".."] } },
  test: {
    environment: "happy-dom",
    include: ["tests/**/*.test.js"],
    testTimeout: 10000,
  },
});
