import assert from "node:assert/strict";
import { tallyTests } from "../../scripts/test_tally_parse.ts";

// Both layouts of `deno test` output, as the suite prints them: --parallel
// for tests/, a serial run for bench/.
const OUTPUT = `
./tests/e2e/a_test.ts => [deno] one ... ok (5ms)
./tests/e2e/a_test.ts => [deno] two ... step ... ok (1ms)
./tests/e2e/a_test.ts => [deno] two ... ok (9ms)
./tests/e2e/b_test.ts => [deno] one ... ok (5ms)
./tests/e2e/b_test.ts => [deno] one ... FAILED (5ms)
./tests/e2e/b_test.ts => [bun] later — SKIPPED: no haproxy ... ignored (0ms)
ok | 4 passed | 1 failed | 1 ignored (1s)
running 2 tests from ./bench/tests/c_test.ts
bench one ...
  a step ... ok (1ms)
bench one ... ok (3ms)
bench two ...
------- output -------
text ... ok (1ms)
----- output end -----
bench two ... ok (2ms)
`;

Deno.test("test tally: distinct tests per file, steps and output not counted, repeats and skips named", () => {
  const tally = tallyTests(OUTPUT);
  assert.equal(tally.runs, 7);
  assert.equal(tally.distinct, 6);
  assert.deepEqual(tally.repeated, [[
    "./tests/e2e/b_test.ts => [deno] one",
    2,
  ]]);
  assert.deepEqual(tally.skipped, [
    "./tests/e2e/b_test.ts => [bun] later — SKIPPED: no haproxy",
  ]);
});
