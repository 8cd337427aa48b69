/**
 * Runs the reverse-proxy configurations shipped in deploy/ (nginx, HAProxy,
 * Caddy) as child processes on loopback, so that tests exercise the very
 * files users copy. A configuration is read from deploy/, then only the
 * lines named in `substitutions` change (ports, timeouts, paths); each
 * substitution must match, so a test fails loudly when a shipped file
 * drifts from what the test expects of it.
 */
import { existsSync } from "node:fs";
import { listensOn, onFreePort } from "./net.ts";
import { missingTool } from "./skip.ts";
import { LineCollector, ROOT } from "./server.ts";

export type ProxyName = "nginx" | "haproxy" | "caddy";
export const PROXIES: readonly ProxyName[] = ["nginx", "haproxy", "caddy"];

/** The shipped configuration of each proxy, relative to the repository. */
export const SHIPPED_CONFIG: Record<ProxyName, string> = {
  nginx: "deploy/nginx/wsecho.conf",
  haproxy: "deploy/haproxy/haproxy.cfg",
  caddy: "deploy/caddy/Caddyfile",
};

/** Where Debian's packages put the binaries (root's PATH has them too). */
const SEARCH_PATH = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/bin"];

/** The proxy's executable, or undefined when it is not installed. */
export function proxyBinary(name: ProxyName): string | undefined {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), ...SEARCH_PATH];
  return dirs.filter((dir) => dir.startsWith("/"))
    .map((dir) => `${dir}/${name}`)
    .find((path) => existsSync(path));
}

/**
 * Why a test of `name` skips here: the proxy is not installed (never in
 * CI, where `.ci/run` installs all three and a missing one must fail).
 */
export function proxySkip(name: ProxyName): string | undefined {
  return missingTool(
    proxyBinary(name) !== undefined,
    `no ${name} (apt-get install ${name})`,
  );
}

export interface ProxySettings {
  /** Loopback port the proxy listens on. */
  port: number;
  /** The two wsecho instances' ports (the shipped files front two). */
  backends: [number, number];
  /** Idle limit of an upgraded connection (nginx, HAProxy), e.g. "6s". */
  idleTimeout?: string;
  /**
   * Also listen on [::1]: a client connecting there is told apart from
   * the proxy, which reaches the instances from 127.0.0.1 (--trust-proxy).
   */
  ipv6?: boolean;
}

/** A `[from, to]` pair: `from` must occur in the shipped file. */
export type Substitution = [string, string];

/** Applies `substitutions` to `text`; throws if one does not match. */
export function substitute(
  text: string,
  substitutions: Substitution[],
  file: string,
): string {
  for (const [from, to] of substitutions) {
    if (!text.includes(from)) {
      throw new Error(`${file} no longer contains ${JSON.stringify(from)}`);
    }
    text = text.replaceAll(from, to);
  }
  return text;
}

/** The shipped configuration of `name` adapted to `settings`. */
export function proxyConfig(name: ProxyName, settings: ProxySettings): string {
  const file = SHIPPED_CONFIG[name];
  const shipped = Deno.readTextFileSync(ROOT + file);
  return substitute(shipped, substitutionsFor(name, settings), file);
}

function substitutionsFor(
  name: ProxyName,
  { port, backends: [first, second], idleTimeout, ipv6 }: ProxySettings,
): Substitution[] {
  const upstreams: Substitution[] = [
    ["127.0.0.1:1234", `127.0.0.1:${first}`],
    ["127.0.0.1:1235", `127.0.0.1:${second}`],
  ];
  switch (name) {
    case "nginx":
      return [
        [
          "listen 8080;",
          `listen 127.0.0.1:${port};${ipv6 ? ` listen [::1]:${port};` : ""}`,
        ],
        ...upstreams,
        // A restarted instance is tried again after fail_timeout.
        ["fail_timeout=5s", "fail_timeout=1s"],
        ...(idleTimeout
          ? [
            ["proxy_read_timeout 90s", `proxy_read_timeout ${idleTimeout}`],
            ["proxy_send_timeout 90s", `proxy_send_timeout ${idleTimeout}`],
          ] satisfies Substitution[]
          : []),
      ];
    case "haproxy":
      return [
        [
          "bind :8080",
          `bind 127.0.0.1:${port}${ipv6 ? `\n    bind [::1]:${port}` : ""}`,
        ],
        ...upstreams,
        // The test runs as whoever runs the suite: no privileges to drop.
        ["    user haproxy\n    group haproxy\n", ""],
        // Checks every 200 ms instead of 2 s: the same logic, faster.
        ["inter 2s fall 2 rise 2", "inter 200ms fall 2 rise 2"],
        ...(idleTimeout
          ? [[
            "timeout tunnel 90s",
            `timeout tunnel ${idleTimeout}`,
          ]] satisfies Substitution[]
          : []),
      ];
    case "caddy":
      return [
        // Off: several test proxies run at once and would share :2019.
        ["admin localhost:2019", "admin off"],
        ["grace_period 10s", "grace_period 1s"],
        ipv6
          // Any host name: requests come as 127.0.0.1 and as [::1].
          ? [":8080 {", `http://:${port} {\n\tbind 127.0.0.1 ::1`]
          : [":8080 {", `http://127.0.0.1:${port} {\n\tbind 127.0.0.1`],
        [
          "127.0.0.1:1234 127.0.0.1:1235",
          `127.0.0.1:${first} 127.0.0.1:${second}`,
        ],
        ["health_interval 2s", "health_interval 200ms"],
        ["fail_duration 5s", "fail_duration 1s"],
      ];
  }
}

/**
 * nginx needs a main configuration around the shipped `http`-block file:
 * pid, error log and temp paths in `dir`, so nothing needs root-only paths
 * and nothing meets the system's nginx (whose service may be running).
 */
function nginxMainConfig(dir: string): string {
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/wsecho.conf;
}
`;
}

/** A running proxy. `await using` stops it and removes its folder. */
export class ProxyProcess implements AsyncDisposable {
  readonly stdout: LineCollector;
  readonly stderr: LineCollector;
  readonly url: string;
  readonly http: string;

  constructor(
    readonly name: ProxyName,
    readonly port: number,
    readonly child: Deno.ChildProcess,
    readonly dir: string,
  ) {
    this.stdout = new LineCollector(child.stdout);
    this.stderr = new LineCollector(child.stderr);
    this.url = `ws://127.0.0.1:${port}/`;
    this.http = `http://127.0.0.1:${port}`;
  }

  get output(): string {
    return `${this.stdout.text}\n${this.stderr.text}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 3000);
    try {
      this.child.kill("SIGTERM");
    } catch { /* gone */ }
    await Promise.all([this.child.status, this.stdout.done, this.stderr.done]);
    clearTimeout(timer);
    await Deno.remove(this.dir, { recursive: true });
  }
}

/**
 * Starts `name` with its shipped configuration on a free port (the file
 * names the port, so it cannot come from the kernel: a port another test
 * took meanwhile means another try); resolves once the proxy listens.
 */
export async function startProxy(
  name: ProxyName,
  settings: Omit<ProxySettings, "port">,
): Promise<ProxyProcess> {
  return await onFreePort((port) => startProxyOn(name, { ...settings, port }));
}

async function startProxyOn(
  name: ProxyName,
  settings: ProxySettings,
): Promise<ProxyProcess> {
  const binary = proxyBinary(name) ?? name; // Missing in CI: fail on spawn.
  const dir = await Deno.makeTempDir({ prefix: `wsecho-${name}-` });
  const config = proxyConfig(name, settings);
  let args: string[];
  const env: Record<string, string> = {};
  switch (name) {
    case "nginx":
      await Deno.writeTextFile(`${dir}/wsecho.conf`, config);
      await Deno.writeTextFile(`${dir}/nginx.conf`, nginxMainConfig(dir));
      args = ["-p", dir, "-e", "stderr", "-c", `${dir}/nginx.conf`];
      break;
    case "haproxy":
      await Deno.writeTextFile(`${dir}/haproxy.cfg`, config);
      args = ["-db", "-f", `${dir}/haproxy.cfg`];
      break;
    case "caddy":
      await Deno.writeTextFile(`${dir}/Caddyfile`, config);
      args = ["run", "--config", `${dir}/Caddyfile`, "--adapter", "caddyfile"];
      // Caddy's data and autosave folders: inside ours, not in $HOME.
      env.HOME = dir;
      env.XDG_DATA_HOME = `${dir}/data`;
      env.XDG_CONFIG_HOME = `${dir}/config`;
      break;
  }
  const child = new Deno.Command(binary, {
    args,
    env,
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const proxy = new ProxyProcess(name, settings.port, child, dir);
  const deadline = Date.now() + 10_000;
  let exited = false;
  child.status.then(() => exited = true);
  // The proxy's own socket, not merely something on the port: a process
  // that took the port first would answer while the proxy exits.
  while (!(await listensOn(child.pid, settings.port))) {
    if (exited || Date.now() > deadline) {
      await proxy[Symbol.asyncDispose]();
      throw new Error(`${name} did not start:\n${proxy.output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return proxy;
}
