import { defineConfig } from "vitest/config";

/**
 * `npm run test:unit`: the pure modules, in seconds, before a commit. No global setup, so no
 * database, engine, browser or server is started: a file listed here that needs one fails loudly.
 * `npm test` runs these and everything else, as CI does.
 */
export default defineConfig({
  test: {
    include: [
      "test/code/type-assertions.test.ts",
      "test/config/config.test.ts",
      "test/docker/ps-output.test.ts",
      "test/docker/stream.test.ts",
      "test/submissions/exports/grade-exports.test.ts",
      "test/grading/checks.test.ts",
      "test/grading/grade-submission.test.ts",
      "test/grading/image-reference.test.ts",
      "test/grading/mutants-derivation.test.ts",
      "test/grading/question-exercise.test.ts",
      "test/submissions/grading-admission.test.ts",
      "test/web/page-routes.test.ts",
    ],
    pool: "threads",
    testTimeout: 10_000,
  },
});
