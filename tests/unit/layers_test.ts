/**
 * The layers of lib/ (docs/architecture.md): no import cycle among our
 * modules, no import up the layers or out of lib/, and no knowledge of
 * which runtime runs outside that runtime's folder and the registry. The
 * checker is run on the real tree, and on made-up graphs to show that each
 * rule fails when it should.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkLayers, readModuleGraph } from "../../tools/layers.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("layers: lib/ and main.ts break none of the rules", async () => {
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
      "lib/protocol/http1/request_parser.ts",
      "lib/cli/command.ts",
      "lib/client/client.ts",
      "lib/app/start.ts",
    ]
  ) {
    assert.ok(graph.has(module), `${module} missing from the module graph`);
  }
  assert.ok(
    graph.get("lib/runtime/registry.ts")?.includes("lib/runtime/bun/glue.ts"),
    "dynamic imports are edges too",
  );
  assert.ok(
    graph.get("lib/cli/version.ts")?.includes("deno.json"),
    "imports of project files outside lib/ are edges too",
  );
  const violations = checkLayers(graph).map((violation) => violation.message);
  assert.deepEqual(violations, []);
});

Deno.test("layers: the checker reports a cycle, an upward import and glue crossing, naming both files", () => {
  const graph = new Map<string, string[]>([
    ["main.ts", ["lib/app/start.ts"]],
    ["lib/app/start.ts", ["lib/core/hub.ts", "lib/runtime/registry.ts"]],
    ["lib/runtime/registry.ts", ["lib/runtime/deno/glue.ts"]],
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

/** The kind, importer and imported file of each violation, and that its one line names both. */
function reported(graph: Map<string, string[]>) {
  const violations = checkLayers(graph);
  for (const { from, to, message } of violations) {
    assert.ok(message.includes(from), message);
    assert.ok(message.includes(to), message);
    assert.ok(!message.includes("\n"), message);
  }
  return violations;
}

Deno.test("layers: nothing outside lib/runtime/ imports a target's folder", () => {
  const violations = reported(
    new Map([
      // Allowed: the contract and the registry are how the rest reaches a runtime.
      ["lib/app/start.ts", [
        "lib/runtime/contract.ts",
        "lib/runtime/registry.ts",
      ]],
      ["lib/app/deno_serve.ts", ["lib/runtime/deno/glue.ts"]],
      ["lib/cli/help_hint.ts", ["lib/runtime/wsecho/outbound.ts"]],
      ["lib/runtime/contract.ts", []],
      ["lib/runtime/registry.ts", ["lib/runtime/deno/glue.ts"]],
      ["lib/runtime/deno/glue.ts", ["lib/runtime/contract.ts"]],
      ["lib/runtime/wsecho/outbound.ts", []],
    ]),
  );
  assert.deepEqual(
    violations.map(({ kind, from, to }) => ({ kind, from, to })),
    [
      {
        kind: "glue",
        from: "lib/app/deno_serve.ts",
        to: "lib/runtime/deno/glue.ts",
      },
      {
        kind: "glue",
        from: "lib/cli/help_hint.ts",
        to: "lib/runtime/wsecho/outbound.ts",
      },
    ],
  );
  assert.equal(
    violations[0].message,
    "lib/app/deno_serve.ts imports lib/runtime/deno/glue.ts: nothing outside " +
      "lib/runtime/ may import a target's folder (lib/runtime/deno/); nothing " +
      "outside the glue knows which runtime runs (lib/runtime/contract.ts)",
  );
});

Deno.test("layers: only lib/runtime/registry.ts loads a glue", () => {
  const violations = reported(
    new Map([
      ["lib/runtime/registry.ts", [
        "lib/runtime/bun/glue.ts",
        "lib/runtime/wsecho/glue.ts",
      ]],
      // A shared module, and a module of the glue's own folder.
      ["lib/runtime/listen.ts", ["lib/runtime/bun/glue.ts"]],
      ["lib/runtime/wsecho/server.ts", ["lib/runtime/wsecho/glue.ts"]],
      ["lib/runtime/bun/glue.ts", []],
      ["lib/runtime/wsecho/glue.ts", []],
    ]),
  );
  assert.deepEqual(
    violations.map(({ kind, from, to }) => ({ kind, from, to })),
    [
      {
        kind: "glue-load",
        from: "lib/runtime/listen.ts",
        to: "lib/runtime/bun/glue.ts",
      },
      {
        kind: "glue-load",
        from: "lib/runtime/wsecho/server.ts",
        to: "lib/runtime/wsecho/glue.ts",
      },
    ],
  );
  assert.equal(
    violations[0].message,
    "lib/runtime/listen.ts imports lib/runtime/bun/glue.ts: only " +
      "lib/runtime/registry.ts loads a glue, so that a process loads its own " +
      "runtime's glue and no other",
  );
});

Deno.test("layers: a shared runtime module imports no target's folder", () => {
  const violations = reported(
    new Map([
      ["lib/runtime/listen.ts", [
        "lib/runtime/limits.ts",
        "lib/runtime/deno/upgrade_options.ts",
      ]],
      // The registry loads glues, and nothing else of a target's folder.
      ["lib/runtime/registry.ts", [
        "lib/runtime/wsecho/glue.ts",
        "lib/runtime/wsecho/server.ts",
      ]],
      ["lib/runtime/limits.ts", []],
      // A target's folder uses the shared modules and its own files.
      ["lib/runtime/deno/upgrade_options.ts", ["lib/runtime/limits.ts"]],
      ["lib/runtime/wsecho/glue.ts", ["lib/runtime/wsecho/server.ts"]],
      ["lib/runtime/wsecho/server.ts", ["lib/runtime/listen.ts"]],
    ]),
  );
  assert.deepEqual(
    violations.map(({ kind, from, to }) => ({ kind, from, to })),
    [
      {
        kind: "shared",
        from: "lib/runtime/listen.ts",
        to: "lib/runtime/deno/upgrade_options.ts",
      },
      {
        kind: "shared",
        from: "lib/runtime/registry.ts",
        to: "lib/runtime/wsecho/server.ts",
      },
    ],
  );
  assert.equal(
    violations[0].message,
    "lib/runtime/listen.ts imports lib/runtime/deno/upgrade_options.ts: a " +
      "shared runtime module serves every target and may not import one " +
      "target's folder (lib/runtime/deno/)",
  );
});

Deno.test("layers: lib/ imports nothing from outside lib/, main.ts only lib/app/", () => {
  const violations = reported(
    new Map([
      ["main.ts", ["lib/app/start.ts", "lib/core/log.ts"]],
      // The project's manifest at the root is not outside: the version.
      ["lib/app/start.ts", ["lib/cli/version.ts"]],
      ["lib/cli/version.ts", ["deno.json"]],
      ["lib/core/log.ts", []],
      ["lib/core/hub.ts", ["tests/helpers/server.ts"]],
      ["lib/runtime/listen.ts", ["tools/server_process.ts"]],
    ]),
  );
  assert.deepEqual(
    violations.map(({ kind, from, to }) => ({ kind, from, to })),
    [
      { kind: "outside", from: "main.ts", to: "lib/core/log.ts" },
      {
        kind: "outside",
        from: "lib/core/hub.ts",
        to: "tests/helpers/server.ts",
      },
      {
        kind: "outside",
        from: "lib/runtime/listen.ts",
        to: "tools/server_process.ts",
      },
    ],
  );
  assert.equal(
    violations[1].message,
    "lib/core/hub.ts imports tests/helpers/server.ts: lib/ may not import " +
      "from outside lib/ (tests/ may import lib/, not the other way round)",
  );
});
