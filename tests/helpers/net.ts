/**
 * Network helpers: free ports, fresh connections (for servers made of
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

/** A port nothing listens on: bound once by us, then released. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export async function isListening(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
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
