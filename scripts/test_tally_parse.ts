/**
 * The top-level test results in the text output of `deno test` (colour
 * off). Two layouts: `--parallel` puts the file before each line
 * (`./tests/x_test.ts => name ... ok (5ms)`), a serial run names the file
 * once (`running 3 tests from ./tests/x_test.ts`) and then prints bare
 * lines. A step adds ` ... step` to its test's name (parallel) or is
 * indented (serial); neither counts as a test of its own, nor does what
 * a test printed (between `------- output -------` and its end).
 */

export interface TestTally {
  /** Distinct `file => name` pairs that ran (passed, failed or skipped). */
  distinct: number;
  /** Result lines of top-level tests, repeats included. */
  runs: number;
  /** Names (with their file) that ran more than once, and how often. */
  repeated: Array<[string, number]>;
  /** Skipped (ignored) tests, `file => name`, in order of appearance. */
  skipped: string[];
}

const RESULT = /^(.+?) \.\.\. (ok|FAILED|ignored)(?: \(.*\))?$/;
const PARALLEL = /^(\.\/\S+) => (.*)$/;
const RUNNING = /^running \d+ tests? from (\.\/\S+)$/;

export function tallyTests(text: string): TestTally {
  const counts = new Map<string, number>();
  const skipped: string[] = [];
  let file = "";
  let inOutput = false;
  for (const line of text.split("\n")) {
    // What a test printed is not a result, whatever it says.
    if (/^-+ (post-test )?output -+$/.test(line)) inOutput = true;
    if (/-+ (post-test )?output end -+$/.test(line)) {
      inOutput = false;
      continue;
    }
    if (inOutput) continue;
    const running = RUNNING.exec(line);
    if (running) {
      file = running[1];
      continue;
    }
    let rest = line;
    let lineFile = file;
    const parallel = PARALLEL.exec(line);
    if (parallel) [, lineFile, rest] = parallel;
    else if (/^\s/.test(line)) continue; // a step of a serial run
    const result = RESULT.exec(rest);
    // A step under --parallel: `test ... step ... ok`.
    if (!result || result[1].includes(" ... ")) continue;
    const key = `${lineFile} => ${result[1]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (result[2] === "ignored") skipped.push(key);
  }
  return {
    distinct: counts.size,
    runs: counts.values().reduce((sum, n) => sum + n, 0),
    repeated: [...counts].filter(([, n]) => n > 1),
    skipped,
  };
}
