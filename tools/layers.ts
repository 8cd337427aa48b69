/**
 * The layer check: reads the project's module graph from `deno info --json`
 * and reports every import cycle among our modules and every import that
 * goes up the layers (README, "Layout": lib/core lowest, main.ts on top), or
 * across from one runtime's glue folder to another's.
 *
 * It lives in tools/ rather than tests/helpers/ because it is a tool of its
 * own: the unit test runs it on the tree, and a person can run it directly
 * (`deno run -A tools/layers.ts`) to see every violation at once. It
 * imports nothing of the project, so it cannot itself break a layer.
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** Each project module (path from the root, `/`-separated) → what it imports. */
export type ModuleGraph = ReadonlyMap<string, readonly string[]>;

/** The layers, lowest first: a module may import its own rank or lower. */
export const LAYERS: readonly { folder: string; rank: number }[] = [
  { folder: "lib/core/", rank: 0 },
  { folder: "lib/config/", rank: 1 },
  { folder: "lib/protocol/", rank: 2 },
  { folder: "lib/http/", rank: 3 },
  { folder: "lib/runtime/", rank: 4 },
  { folder: "lib/cli/", rank: 5 },
  { folder: "lib/client/", rank: 6 },
  { folder: "lib/app/", rank: 7 },
];
/** The entry point sits above everything. */
const MAIN = "main.ts";
const MAIN_RANK = LAYERS.length;

export interface Violation {
  readonly kind: "cycle" | "upward" | "across" | "unplaced";
  /** The importing module. */
  readonly from: string;
  /** The imported module. */
  readonly to: string;
  /** One line naming both files. */
  readonly message: string;
}

/** The layer of `path`, or `undefined` for a module in no layer. */
export function layerOf(
  path: string,
): { name: string; rank: number } | undefined {
  if (path === MAIN) return { name: MAIN, rank: MAIN_RANK };
  const layer = LAYERS.find(({ folder }) => path.startsWith(folder));
  return layer && { name: layer.folder.slice(4, -1), rank: layer.rank };
}

/** `deno` for `lib/runtime/deno/glue.ts`; `undefined` outside a target's folder. */
function targetFolderOf(path: string): string | undefined {
  return /^lib\/runtime\/([^/]+)\//.exec(path)?.[1];
}

/** Every violation in `graph`, cycles first; empty when the layers hold. */
export function checkLayers(graph: ModuleGraph): Violation[] {
  return [...findCycles(graph), ...findBadImports(graph)];
}

function findBadImports(graph: ModuleGraph): Violation[] {
  const violations: Violation[] = [];
  for (const [from, imports] of graph) {
    const fromLayer = layerOf(from);
    if (fromLayer === undefined) {
      violations.push({
        kind: "unplaced",
        from,
        to: from,
        message: `${from} is in no layer (expected under ${
          LAYERS.map((layer) => layer.folder).join(", ")
        })`,
      });
      continue;
    }
    for (const to of imports) {
      const toLayer = layerOf(to);
      if (toLayer === undefined) continue; // Reported as its own module.
      if (toLayer.rank > fromLayer.rank) {
        violations.push({
          kind: "upward",
          from,
          to,
          message:
            `${from} (${fromLayer.name}, rank ${fromLayer.rank}) imports ${to} (${toLayer.name}, rank ${toLayer.rank}): imports may only go down the layers`,
        });
      }
      const fromTarget = targetFolderOf(from);
      const toTarget = targetFolderOf(to);
      if (fromTarget && toTarget && fromTarget !== toTarget) {
        violations.push({
          kind: "across",
          from,
          to,
          message:
            `${from} imports ${to}: one target's glue (lib/runtime/${fromTarget}/) may not use another's (lib/runtime/${toTarget}/)`,
        });
      }
    }
  }
  return violations;
}

/**
 * One violation per import cycle: the import that closes it, from the
 * last module of the cycle back to the first, with the whole path.
 */
function findCycles(graph: ModuleGraph): Violation[] {
  const violations: Violation[] = [];
  const state = new Map<string, "active" | "done">();
  const path: string[] = [];
  const visit = (module: string) => {
    state.set(module, "active");
    path.push(module);
    for (const next of graph.get(module) ?? []) {
      if (state.get(next) === "active") {
        const cycle = [...path.slice(path.indexOf(next)), next];
        violations.push({
          kind: "cycle",
          from: module,
          to: next,
          message: `${module} imports ${next}, closing an import cycle: ${
            cycle.join(" → ")
          }`,
        });
      } else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(module, "done");
  };
  for (const module of [...graph.keys()].sort()) {
    if (!state.has(module)) visit(module);
  }
  return violations;
}

/** What `deno info --json` says of one module (the fields we read). */
interface DenoInfoModule {
  specifier: string;
  dependencies?: {
    code?: { specifier?: string };
    type?: { specifier?: string };
  }[];
}

/**
 * The graph of main.ts and every `.ts` file under lib/, as `deno info
 * --json` resolves it: static, dynamic and type-only imports alike. Files
 * main.ts does not reach are read as entries of their own, so a module
 * nothing imports is checked too.
 */
export async function readModuleGraph(root: string): Promise<ModuleGraph> {
  const graph = new Map<string, string[]>();
  const wanted = [MAIN, ...tsFilesUnder(root, "lib")];
  for (const entry of wanted) {
    if (graph.has(entry)) continue;
    for (const module of await denoInfo(root, entry)) {
      const from = projectPath(root, module.specifier);
      if (from === undefined || graph.has(from)) continue;
      const imports = new Set<string>();
      for (const dependency of module.dependencies ?? []) {
        for (const resolved of [dependency.code, dependency.type]) {
          const to = resolved?.specifier &&
            projectPath(root, resolved.specifier);
          if (to) imports.add(to);
        }
      }
      graph.set(from, [...imports].sort());
    }
  }
  return graph;
}

async function denoInfo(
  root: string,
  entry: string,
): Promise<DenoInfoModule[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `deno info ${entry} failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return JSON.parse(new TextDecoder().decode(output.stdout)).modules;
}

/** `lib/x.ts` for a `file:` URL of a TypeScript file of ours, else undefined. */
function projectPath(root: string, specifier: string): string | undefined {
  if (!specifier.startsWith("file:") || !specifier.endsWith(".ts")) {
    return undefined;
  }
  const path = relative(root, fileURLToPath(specifier)).replaceAll("\\", "/");
  return path === MAIN || path.startsWith("lib/") ? path : undefined;
}

function tsFilesUnder(root: string, folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true })
    .map((name) => `${folder}/${String(name).replaceAll("\\", "/")}`)
    .filter((path) => path.endsWith(".ts"))
    .sort();
}

if (import.meta.main) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const violations = checkLayers(await readModuleGraph(root));
  for (const violation of violations) console.log(violation.message);
  console.log(`${violations.length} layer violation(s)`);
  Deno.exit(violations.length === 0 ? 0 : 1);
}
