/**
 * The layers of lib/ (docs/architecture.md): no
 * import cycle among our modules, no import up the layers, no glue using
 * another target's glue. The checker is run on the real tree, and on a
 * made-up graph to show that it fails when it should.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkLayers, readModuleGraph } from "../../tools/layers.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("layers: lib/ and main.ts have no cycle and no upward import", async () => {
  const graph = await readModuleGraph(ROOT);
  // The graph really is the project's: the entry, every layer, both glues.
  for (
    const module of [
      "main.ts",
      "lib/core/hub.ts",
      "lib/config/options.ts",
      "lib/http/routes.ts",
      "lib/runtime/listen.ts",
      "lib/runtime/deno/glue.ts",
      "lib/runtime/bun/glue.ts",
      "lib/cli/command.ts",
      "lib/app/start.ts",
    ]
  ) {
    assert.ok(graph.has(module), `${module} missing from the module graph`);
  }
  assert.ok(
    graph.get("lib/runtime/registry.ts")?.includes("lib/runtime/bun/glue.ts"),
    "dynamic imports are edges too",
  );
  const violations = checkLayers(graph).map((violation) => violation.message);
  assert.deepEqual(violations, []);
});

Deno.test("layers: the checker reports a cycle, an upward import and glue crossing, naming both files", () => {
  const graph = new Map<string, string[]>([
    ["main.ts", ["lib/app/start.ts"]],
    ["lib/app/start.ts", ["lib/core/hub.ts", "lib/runtime/deno/glue.ts"]],
    // Upward: core imports http; and http imports core back (a cycle).
    ["lib/core/hub.ts", ["lib/http/routes.ts"]],
    ["lib/http/routes.ts", ["lib/core/hub.ts"]],
    // Across: Deno's glue uses Bun's.
    ["lib/runtime/deno/glue.ts", ["lib/runtime/bun/glue.ts"]],
    ["lib/runtime/bun/glue.ts", []],
  ]);
  const violations = checkLayers(graph);
  assert.deepEqual(
    violations.map(({ kind, from, to }) => ({ kind, from, to })),
    [
      { kind: "cycle", from: "lib/http/routes.ts", to: "lib/core/hub.ts" },
      { kind: "upward", from: "lib/core/hub.ts", to: "lib/http/routes.ts" },
      {
        kind: "across",
        from: "lib/runtime/deno/glue.ts",
        to: "lib/runtime/bun/glue.ts",
      },
    ],
  );
  for (const { from, to, message } of violations) {
    assert.ok(message.includes(from), message);
    assert.ok(message.includes(to), message);
  }
  assert.equal(
    violations[0].message,
    "lib/http/routes.ts imports lib/core/hub.ts, closing an import cycle: " +
      "lib/core/hub.ts → lib/http/routes.ts → lib/core/hub.ts",
  );
});

Deno.test("layers: a module outside every layer is reported", () => {
  const violations = checkLayers(new Map([["lib/stray.ts", []]]));
  assert.deepEqual(violations.map((violation) => violation.kind), [
    "unplaced",
  ]);
  assert.match(violations[0].message, /^lib\/stray\.ts is in no layer/);
});
