/**
 * Reads a Dockerfile and carries out what it describes outside a container,
 * for machines that cannot pull base images: every stage gets a folder
 * standing for its file system root; COPY copies from the build context
 * (the repository) or an earlier stage's folder; RUN (exec form only) runs
 * on the host with container paths mapped into the stage's folder; the
 * final stage's ENTRYPOINT + CMD, ENV, USER, EXPOSE, STOPSIGNAL and
 * HEALTHCHECK come back for the test to run and check. What a base image
 * itself provides (a runtime on PATH, its environment) is supplied by the
 * caller as a `BaseImage`.
 */
import { basename } from "node:path";
import { ROOT } from "./server.ts";

export interface Instruction {
  keyword: string;
  /** The rest of the line, continuations joined, ARGs expanded. */
  rest: string;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages; comments and continuations handled. */
export function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, " ").split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  const args = new Map<string, string>();
  const expand = (value: string) =>
    value.replace(
      /\$\{(\w+)\}|\$(\w+)/g,
      (whole, braced, bare) => args.get(braced ?? bare) ?? whole,
    );
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword, raw] = /^(\w+)\s*(.*)$/.exec(line)!;
    const rest = expand(raw);
    const upper = keyword.toUpperCase();
    if (upper === "ARG" && stages.length === 0) {
      const [name, value = ""] = rest.split("=");
      args.set(name, value);
    } else if (upper === "FROM") {
      const [from, , name] = rest.split(/\s+/);
      stages.push({ from, name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: upper, rest });
    }
  }
  return stages;
}

/** The exec (JSON) form of RUN, CMD, ENTRYPOINT, HEALTHCHECK CMD. */
export function execForm(rest: string): string[] {
  const form = JSON.parse(rest);
  if (!Array.isArray(form)) throw new Error(`not exec form: ${rest}`);
  return form;
}

/** What a base image gives the stages built on it. */
export interface BaseImage {
  /** Environment the base sets (container paths are mapped). */
  env?: Record<string, string>;
  /** Commands the base has on PATH, as host executables. */
  commands?: Record<string, string>;
}

/** The final stage, ready to run on the host. */
export interface EmulatedImage {
  stages: Stage[];
  /** Folder standing for the final stage's `/`. */
  root: string;
  /** Host folder of the final WORKDIR. */
  cwd: string;
  env: Record<string, string>;
  user?: string;
  expose: string[];
  stopSignal?: string;
  /** ENTRYPOINT + CMD, mapped to the host. */
  command: string[];
  /** HEALTHCHECK CMD, mapped to the host. */
  healthcheck?: string[];
  /** The same, as written in the Dockerfile. */
  entrypoint: string[];
  cmd: string[];
}

/**
 * Builds `dockerfile` (relative to the repository) into `dir`; `bases`
 * maps a FROM image name (without its tag) to what it provides.
 */
export async function emulateImage(
  dockerfile: string,
  bases: Record<string, BaseImage>,
  dir: string,
): Promise<EmulatedImage> {
  const stages = parseDockerfile(await Deno.readTextFile(ROOT + dockerfile));
  const roots = new Map<string, string>();
  let image: EmulatedImage | undefined;
  for (const [index, stage] of stages.entries()) {
    const root = `${dir}/stage${index}`;
    await Deno.mkdir(root, { recursive: true });
    roots.set(stage.name ?? String(index), root);
    const base = bases[stage.from.split(":")[0]] ?? {};
    const map = (path: string) => path.startsWith("/") ? root + path : path;
    const resolve = (command: string[]) => [
      base.commands?.[command[0]] ?? map(command[0]),
      ...command.slice(1).map(map),
    ];
    let workdir = "/";
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(base.env ?? {})) {
      env[name] = map(value);
    }
    image = {
      stages,
      root,
      cwd: root,
      env,
      expose: [],
      command: [],
      entrypoint: [],
      cmd: [],
    };
    for (const { keyword, rest } of stage.instructions) {
      switch (keyword) {
        case "WORKDIR":
          workdir = rest.startsWith("/") ? rest : `${workdir}/${rest}`;
          await Deno.mkdir(root + workdir, { recursive: true });
          image.cwd = root + workdir;
          break;
        case "COPY":
          await copy(rest, roots, root, workdir);
          break;
        case "RUN": {
          const [command, ...args] = resolve(execForm(rest));
          const { code, stderr } = await new Deno.Command(command, {
            args,
            cwd: root + workdir,
            env,
            stdout: "null",
            stderr: "piped",
          }).output();
          if (code !== 0) {
            throw new Error(
              `RUN ${rest} failed:\n${new TextDecoder().decode(stderr)}`,
            );
          }
          break;
        }
        case "ENV": {
          const [name, ...value] = rest.split("=");
          env[name.trim()] = map(value.join("=").trim());
          break;
        }
        case "USER":
          image.user = rest;
          break;
        case "EXPOSE":
          image.expose.push(...rest.split(/\s+/));
          break;
        case "STOPSIGNAL":
          image.stopSignal = rest;
          break;
        case "HEALTHCHECK":
          image.healthcheck = resolve(execForm(rest.replace(/^.*?CMD\s+/, "")));
          break;
        case "ENTRYPOINT":
          image.entrypoint = execForm(rest);
          break;
        case "CMD":
          image.cmd = execForm(rest);
          break;
      }
    }
    const command = [...image.entrypoint, ...image.cmd];
    image.command = command.length ? resolve(command) : [];
  }
  return image!;
}

/** `COPY [--from=STAGE] [--chown=...] SRC... DEST` with Docker's rules. */
async function copy(
  rest: string,
  roots: Map<string, string>,
  root: string,
  workdir: string,
): Promise<void> {
  const words = rest.split(/\s+/);
  const from = words.find((word) => word.startsWith("--from="))?.slice(7);
  const paths = words.filter((word) => !word.startsWith("--"));
  const dest = paths.pop()!;
  const target = root + (dest.startsWith("/") ? dest : `${workdir}/${dest}`);
  const intoFolder = dest.endsWith("/") || paths.length > 1;
  const source = from === undefined ? ROOT : roots.get(from)!;
  for (const path of paths) {
    const src = source + path;
    const isDir = (await Deno.stat(src)).isDirectory;
    // A folder's contents are copied, not the folder itself.
    const [args, to] = isDir
      ? [[`${src.replace(/\/$/, "")}/.`], target]
      : [[src], intoFolder ? `${target}/${basename(src)}` : target];
    await Deno.mkdir(isDir ? to : to.replace(/\/[^/]*$/, ""), {
      recursive: true,
    });
    const { code } = await new Deno.Command("cp", {
      args: ["-R", "--preserve=mode", ...args, to],
    }).output();
    if (code !== 0) throw new Error(`COPY ${rest}: cp ${src} failed`);
  }
}
