/**
 * The layer check: reads the project's module graph from `deno info --json`
 * and reports every import cycle among our modules, every import that goes
 * up the layers (docs/architecture.md: lib/core lowest, main.ts on top) or
 * out of lib/, and every import that breaks the runtime contract's promise
 * that nothing outside a target's glue knows which runtime runs
 * (lib/runtime/contract.ts): see {@linkcode glueViolation}.
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
/** The one folder main.ts imports from: it is a thin call into the app. */
const MAIN_IMPORTS = "lib/app/";
/** The one module that loads a target's glue (a dynamic import each). */
const REGISTRY = "lib/runtime/registry.ts";

export interface Violation {
  readonly kind:
    | "cycle"
    | "upward"
    /** lib/ imports from outside lib/, or main.ts from outside lib/app/. */
    | "outside"
    /** A module outside lib/runtime/ imports a target's folder. */
    | "glue"
    /** A runtime module other than the registry loads a glue. */
    | "glue-load"
    /** A shared runtime module (lib/runtime/*.ts) imports a target's folder. */
    | "shared"
    /** One target's folder imports another's. */
    | "across"
    | "unplaced";
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

/** A target's glue: the `glue.ts` the registry loads, in a target's folder. */
function isGlue(path: string): boolean {
  return /^lib\/runtime\/.+\/glue\.ts$/.test(path);
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
      const outside = outsideViolation(from, to);
      if (outside) violations.push(outside);
      const toLayer = layerOf(to);
      // Outside lib/ (checked above), or in no layer (reported as itself).
      if (toLayer === undefined) continue;
      if (toLayer.rank > fromLayer.rank) {
        violations.push({
          kind: "upward",
          from,
          to,
          message:
            `${from} (${fromLayer.name}, rank ${fromLayer.rank}) imports ${to} (${toLayer.name}, rank ${toLayer.rank}): imports may only go down the layers`,
        });
      }
      const glue = glueViolation(from, to);
      if (glue) violations.push(glue);
    }
  }
  return violations;
}

/**
 * lib/ is the program: it imports nothing from the project's other
 * folders (tests/, tools/, bench/, scripts/, which may import lib/, not the
 * other way round), or a test helper would ship in the binaries. Files at
 * the root are the project's manifest and entry (lib/cli/version.ts reads
 * the version from deno.json). main.ts reaches everything through
 * lib/app/.
 */
function outsideViolation(from: string, to: string): Violation | undefined {
  if (from === MAIN) {
    if (to.startsWith(MAIN_IMPORTS)) return undefined;
    return {
      kind: "outside",
      from,
      to,
      message:
        `${from} imports ${to}: the entry point imports only ${MAIN_IMPORTS}, which puts the program together`,
    };
  }
  if (to.startsWith("lib/") || !to.includes("/")) return undefined;
  return {
    kind: "outside",
    from,
    to,
    message: `${from} imports ${to}: lib/ may not import from outside lib/ (${
      to.slice(0, to.indexOf("/") + 1)
    } may import lib/, not the other way round)`,
  };
}

/**
 * Which runtime runs is known in one place per target, its folder under
 * lib/runtime/ (deno/, bun/, wsecho/), and chosen in one module, the
 * registry, which loads that folder's glue.ts by a dynamic import. So an
 * import of a target's folder is allowed only from the same folder (other
 * than of its glue.ts), or from the registry to a glue.ts. Each bad import
 * is reported once, by the most specific rule it breaks.
 */
function glueViolation(from: string, to: string): Violation | undefined {
  const toTarget = targetFolderOf(to);
  if (toTarget === undefined) return undefined;
  const fromTarget = targetFolderOf(from);
  if (fromTarget !== undefined && fromTarget !== toTarget) {
    return {
      kind: "across",
      from,
      to,
      message:
        `${from} imports ${to}: one target's glue (lib/runtime/${fromTarget}/) may not use another's (lib/runtime/${toTarget}/)`,
    };
  }
  if (!from.startsWith("lib/runtime/")) {
    return {
      kind: "glue",
      from,
      to,
      message:
        `${from} imports ${to}: nothing outside lib/runtime/ may import a target's folder (lib/runtime/${toTarget}/); nothing outside the glue knows which runtime runs (lib/runtime/contract.ts)`,
    };
  }
  if (isGlue(to)) {
    if (from === REGISTRY) return undefined;
    return {
      kind: "glue-load",
      from,
      to,
      message:
        `${from} imports ${to}: only ${REGISTRY} loads a glue, so that a process loads its own runtime's glue and no other`,
    };
  }
  if (fromTarget === undefined) {
    return {
      kind: "shared",
      from,
      to,
      message:
        `${from} imports ${to}: a shared runtime module serves every target and may not import one target's folder (lib/runtime/${toTarget}/)`,
    };
  }
  return undefined;
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
 * nothing imports is checked too. Their imports of other project files
 * (tools/, tests/, deno.json) are edges too, without imports of their own.
 */
export async function readModuleGraph(root: string): Promise<ModuleGraph> {
  const graph = new Map<string, string[]>();
  const wanted = [MAIN, ...tsFilesUnder(root, "lib")];
  for (const entry of wanted) {
    if (graph.has(entry)) continue;
    for (const module of await denoInfo(root, entry)) {
      const from = projectPath(root, module.specifier);
      if (from === undefined || !isChecked(from) || graph.has(from)) continue;
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

/**
 * `lib/x.ts` for a `file:` URL of a project file (not an installed
 * package's), else undefined.
 */
function projectPath(root: string, specifier: string): string | undefined {
  if (!specifier.startsWith("file:")) return undefined;
  const path = relative(root, fileURLToPath(specifier)).replaceAll("\\", "/");
  if (path.startsWith("../") || path.split("/").includes("node_modules")) {
    return undefined;
  }
  return path;
}

/** Whether `path` is one of the modules the layers place: main.ts and lib/. */
function isChecked(path: string): boolean {
  return path === MAIN || (path.startsWith("lib/") && path.endsWith(".ts"));
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
