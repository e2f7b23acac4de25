// Prints one plain closing line, "api: N passed, N failed, N skipped", after the list reporter,
// so a CI that reads closing lines counts the API tests.
import type { Reporter, TestCase, TestResult, FullResult } from '@playwright/test/reporter';

export default class SummaryReporter implements Reporter {
  private outcome = new Map<string, string>();

  onTestEnd(test: TestCase, _result: TestResult): void {
    // the last result of a test decides (retries included)
    this.outcome.set(test.id, test.outcome());
  }

  onEnd(_result: FullResult): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const o of this.outcome.values()) {
      if (o === 'expected' || o === 'flaky') passed++;
      else if (o === 'skipped') skipped++;
      else failed++;
    }
    process.stdout.write(`\napi: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }

  printsToStdio(): boolean {
    return false;
  }
}
