/**
 * Reads a V8 CPU profile (the `.cpuprofile` JSON that `deno run --cpu-prof`
 * writes on exit) and says where the time went: self time per function and
 * per file or area, as text to paste into the docs. Pure functions of the
 * profile, so tests can check them on a small synthetic one.
 */

/** The parts of V8's `Profiler.Profile` used here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  /** µs, on V8's clock. */
  startTime: number;
  endTime: number;
  /** The node each sample hit, in order. */
  samples?: number[];
  /** µs since the previous sample (the first: since `startTime`). */
  timeDeltas?: number[];
}

export interface ProfileNode {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    /** 0-based; -1 for V8's own entries such as "(idle)". */
    lineNumber: number;
    columnNumber?: number;
    scriptId?: string;
  };
  hitCount?: number;
  children?: number[];
}

/** Self time of one function (or one file, or one area). */
export interface SelfTime {
  /** "unmask (lib/protocol/unmask.ts:12)", a file, or an area. */
  name: string;
  ms: number;
  /** Share of the busy time (everything but idle), 0–1. */
  share: number;
}

export interface ProfileSummary {
  /** Wall time the profile covers. */
  totalMs: number;
  /** Time V8 sampled as "(idle)": waiting for the network or a timer. */
  idleMs: number;
  /** Everything else: the time the shares are of. */
  busyMs: number;
  samples: number;
  /** By function, most self time first. */
  functions: SelfTime[];
  /** By script file (project files relative to the root), most first. */
  files: SelfTime[];
  /** By area: a project folder, Deno's runtime, npm packages, GC, V8. */
  areas: SelfTime[];
}

/** V8's own entries, which stand for no script. */
const IDLE = "(idle)";

/**
 * Self time per node: from the samples and their time deltas where the
 * profile has them (a sample owns the time since the one before it, its
 * `timeDeltas` entry, so that every µs up to the last sample is counted
 * once), else each node's share of the hits times the profile's duration.
 */
export function selfTimes(profile: CpuProfile): Map<number, number> {
  const times = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  const totalUs = profile.endTime - profile.startTime;
  if (
    samples && timeDeltas && samples.length > 0 &&
    samples.length === timeDeltas.length
  ) {
    samples.forEach((node, i) => {
      const us = Math.max(0, timeDeltas[i]);
      times.set(node, (times.get(node) ?? 0) + us);
    });
    return times;
  }
  const hits = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  for (const node of profile.nodes) {
    if (!node.hitCount) continue;
    times.set(node.id, node.hitCount / hits * totalUs);
  }
  return times;
}

/** A script's URL as the report shows it: relative to `root` if inside. */
export function shortUrl(url: string, root: string): string {
  const rootUrl = "file://" + (root.endsWith("/") ? root : root + "/");
  if (url.startsWith("file://")) {
    // node_modules/PKG/… (also Deno's node_modules/.deno/…/node_modules/PKG)
    // or Deno's global cache: …/npm/registry.npmjs.org/PKG/VERSION/…
    const npm =
      /\/node_modules\/(?:\.deno\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\/(.*)$/
        .exec(url) ??
        /\/npm\/[^/]+\/((?:@[^/]+\/)?[^/]+)\/[^/]+\/(.*)$/.exec(url);
    if (npm) return `npm:${npm[1]}/${npm[2]}`;
    if (url.startsWith(rootUrl)) return url.slice(rootUrl.length);
    return url.slice("file://".length);
  }
  return url;
}

/**
 * The area a function's self time counts for: the project's folder (two
 * levels: `lib/protocol`, `lib/runtime/wsecho`), Deno's runtime
 * (`ext:deno_net`…), Deno's ops (Rust functions JavaScript calls, such as
 * `op_net_write`), an npm package, GC, or V8 itself.
 */
export function areaOf(name: string, url: string, root: string): string {
  if (name === "(garbage collector)") return "garbage collector";
  if (name === "(program)") {
    return "V8 (program: compiler, runtime, unattributed)";
  }
  if (url === "" && name.startsWith("op_")) {
    return "Deno ops (Rust, called from JavaScript)";
  }
  if (url === "") return "native builtins";
  const short = shortUrl(url, root);
  if (short.startsWith("ext:")) {
    return `Deno runtime (${short.split("/")[0]})`;
  }
  if (short.startsWith("node:")) return `Deno runtime (${short})`;
  if (short.startsWith("npm:")) {
    const pkg = /^npm:((?:@[^/]+\/)?[^/]+)/.exec(short)?.[1];
    return `npm:${pkg}`;
  }
  if (short.startsWith("/") || short.includes("://")) return short;
  const parts = short.split("/");
  if (parts.length === 1) return short;
  const depth = parts[0] === "lib" && parts[1] === "runtime" ? 3 : 2;
  return parts.slice(0, Math.min(depth, parts.length - 1)).join("/") + "/";
}

/** Where the profile's time went, by function, file and area. */
export function summarizeProfile(
  profile: CpuProfile,
  root: string,
): ProfileSummary {
  const times = selfTimes(profile);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  let idleUs = 0;
  let totalUs = 0;
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const areas = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) =>
    map.set(key, (map.get(key) ?? 0) + us);
  for (const [id, us] of times) {
    totalUs += us;
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const name = frame.functionName || "(anonymous)";
    if (name === IDLE) {
      idleUs += us;
      continue;
    }
    const where = frame.url ? shortUrl(frame.url, root) : "";
    // Name and place: two anonymous callbacks of one file stay apart.
    const key = where ? `${name} (${where}:${frame.lineNumber + 1})` : name;
    add(functions, key, us);
    add(files, where || "(no script: V8, native, GC)", us);
    add(areas, areaOf(name, frame.url, root), us);
  }
  const busyUs = totalUs - idleUs;
  const ranked = (map: Map<string, number>): SelfTime[] =>
    [...map].map(([name, us]) => ({
      name,
      ms: us / 1000,
      share: busyUs > 0 ? us / busyUs : 0,
    })).sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: busyUs / 1000,
    samples: profile.samples?.length ??
      profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0),
    functions: ranked(functions),
    files: ranked(files),
    areas: ranked(areas),
  };
}

/**
 * The summary as markdown: a headline, the areas, and the top functions.
 * `serverCpuMs`, the CPU time the process used over the profile (from
 * /proc), shows how much of it V8 never saw: Deno's Rust event loop
 * (socket reads and writes, the HTTP server) counts as "(idle)" to V8.
 */
export function formatProfileSummary(
  summary: ProfileSummary,
  title: string,
  top = 25,
  serverCpuMs?: number,
): string {
  const table = (label: string, rows: SelfTime[]) => [
    `| ${label} | self ms | share of busy |`,
    "| --- | ---: | ---: |",
    ...rows.map((row) =>
      `| ${row.name.replaceAll("|", "\\|")} | ${row.ms.toFixed(0)} | ${
        (row.share * 100).toFixed(1)
      } % |`
    ),
  ];
  const seconds = (ms: number) => (ms / 1000).toFixed(2);
  return [
    `## ${title}`,
    "",
    `${seconds(summary.totalMs)} s profiled, ${
      seconds(summary.busyMs)
    } s busy, ${
      seconds(summary.idleMs)
    } s idle; ${summary.samples} samples. Shares are of the busy time (self time: the function itself, not what it calls).`,
    "",
    ...(serverCpuMs !== undefined && Number.isFinite(serverCpuMs)
      ? [
        `The process used ${seconds(serverCpuMs)} s of CPU meanwhile: ${
          seconds(Math.max(0, serverCpuMs - summary.busyMs))
        } s of it outside JavaScript, which V8 samples as "(idle)" (Deno's Rust event loop: socket reads and writes, the HTTP server, other threads).`,
        "",
      ]
      : []),
    "### By area",
    "",
    ...table("area", summary.areas),
    "",
    `### Top ${Math.min(top, summary.functions.length)} functions`,
    "",
    ...table("function (file:line)", summary.functions.slice(0, top)),
    "",
  ].join("\n");
}
