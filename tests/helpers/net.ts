/**
 * Network helpers: ports a test must choose itself, fresh connections (for servers made of
 * several processes or isolates, where which one answers depends on the
 * connection), and a WebSocket client that never answers.
 */

/** `GET /healthz` on a new TCP connection each time (no keep-alive pool). */
export async function freshHealth(
  http: string,
): Promise<Record<string, unknown>> {
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const response = await fetch(`${http}/healthz`, { client });
  return await response.json();
}

/** `/healthz` answers from `count` fresh connections. */
export async function sampleHealth(
  http: string,
  count: number,
): Promise<Record<string, unknown>[]> {
  const answers = [];
  for (let i = 0; i < count; i++) answers.push(await freshHealth(http));
  return answers;
}

/**
 * Starts something on a port the test must choose itself rather than take
 * from the kernel with `--port 0` (a `$PORT`, a proxy's listen address in a
 * configuration file). The port is free when picked, but another test may
 * bind it before `launch` does: a start that fails with "address already
 * in use" is tried again on another port, a few times.
 */
export async function onFreePort<T>(
  launch: (port: number) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    const port = unusedPort();
    try {
      return await launch(port);
    } catch (error) {
      if (attempt < attempts && addressInUse(error)) continue;
      throw error;
    }
  }
}

/**
 * Starts something on `port`, a port it must have (a restart in place,
 * behind a proxy that names the port): while the start fails with "address
 * already in use" (the old process still closing, or another test's
 * connection on it for a moment), waits and tries again, for up to `ms`.
 */
export async function onPort<T>(
  port: number,
  launch: (port: number) => Promise<T>,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (true) {
    try {
      return await launch(port);
    } catch (error) {
      if (Date.now() > deadline || !addressInUse(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Whether a failed start says its port was taken (ours, nginx, HAProxy, Caddy). */
function addressInUse(error: unknown): boolean {
  return /address already in use/i.test(String(error));
}

/** A port nothing listens on at this moment (bound by us, then released). */
function unusedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * Whether process `pid` itself listens on TCP `port` (any address): a
 * connection that succeeds may reach another process that took the port.
 */
export async function listensOn(pid: number, port: number): Promise<boolean> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const lines = (await Deno.readTextFile(table)).split("\n").slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN.
      const localPort = parseInt(fields[1]?.split(":")[1] ?? "", 16);
      if (localPort === port && fields[3] === "0A") inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return false;
  try {
    for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
      const link = await Deno.readLink(`/proc/${pid}/fd/${fd.name}`)
        .catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode)) return true;
    }
  } catch {
    return false; // The process is gone.
  }
  return false;
}

/**
 * Opens a WebSocket by hand and then never answers anything, not even the
 * server's close frame: a client that keeps a draining server waiting.
 */
export async function silentClient(port: number): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const key = btoa("silent-client-00");
  await conn.write(new TextEncoder().encode(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
      `Sec-WebSocket-Version: 13\r\n\r\n`,
  ));
  const buffer = new Uint8Array(1024);
  const n = await conn.read(buffer);
  const head = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
  if (!head.startsWith("HTTP/1.1 101")) {
    conn.close();
    throw new Error(`upgrade refused: ${head.split("\r\n")[0]}`);
  }
  return conn;
}
