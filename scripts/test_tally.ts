/**
 * Reads the output of `deno test` runs (one or several, parallel or not,
 * without colour) on stdin and says what was tested: how many distinct
 * tests ran (a name run twice counts once, so a loop that repeats a test
 * under one name shows here), which names ran more than once, and every
 * skipped test with its name, which says why it was skipped.
 *
 *   NO_COLOR=1 deno test ... 2>&1 | deno run scripts/test_tally.ts
 *
 * Exits 1 when a name ran more than once: a repeated name hides that a
 * test ran several times and says nothing about what differed.
 */
import { tallyTests } from "./test_tally_parse.ts";

const text = await new Response(Deno.stdin.readable).text();
const tally = tallyTests(text);
console.log(
  `distinct tests: ${tally.distinct} (${tally.runs} runs, ${tally.skipped.length} skipped)`,
);
for (const [name, times] of tally.repeated) {
  console.log(`ran ${times} times under one name: ${name}`);
}
if (tally.skipped.length > 0) {
  console.log("skipped:");
  for (const name of tally.skipped) console.log(`  ${name}`);
}
if (tally.repeated.length > 0) Deno.exit(1);
