import { defineConfig } from "vitest/config";
import suite from "./vitest.config.js";
import unit from "./vitest.unit.config.js";

/**
 * `npm run test:quick`: the unit tier and the stories that matter most, on a real database and
 * engine, in a few minutes: content as served, the API's foundation and its validation, exercises
 * graded on the engine, progress, questions, learner sessions, tenancy and an LTI launch. It is the
 * suite's configuration with fewer files (mergeConfig would add these to the suite's include, not
 * replace it). `npm test` runs everything.
 */
export default defineConfig({
  test: {
    ...suite.test,
    include: [
      ...(unit.test?.include ?? []),
      "test/http/content.test.ts",
      "test/http/foundation.test.ts",
      "test/routes/exercises.test.ts",
      "test/routes/submission-validation.test.ts",
      "test/routes/progress.test.ts",
      "test/routes/questions.test.ts",
      "test/sessions/learner-sessions.test.ts",
      "test/integrations/tenancy.test.ts",
      "test/lti/lti.test.ts",
    ],
  },
});
