import type { Reporter, SerializedError, TestModule, TestRunEndReason } from "vitest/node";

/**
 * Ends the run with one plain "N passed, N failed, N skipped" line that any CI log reader understands.
 * A file that fails before its tests run (a broken beforeAll, an import error) counts as one failure.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    _reason: TestRunEndReason,
  ): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const testModule of testModules) {
      let failedTests = 0;
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failedTests++;
        else skipped++;
      }
      failed += failedTests > 0 ? failedTests : testModule.state() === "failed" ? 1 : 0;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
