/**
 * The engine's memory under clients that announce a large frame and stall,
 * measured on the server process (Linux: /proc/PID/status). The announced
 * length is a promise the client may never keep: 2,000 clients that each
 * announce 16 MiB (the default --max-message) and send 1 KiB must not make
 * the server reserve 16 MiB each (32 GiB of address space), only what
 * arrived. tests/unit/protocol_receiver_test.ts counts the Receiver's own
 * buffers (under 64 KiB each); this counts the whole process, address
 * space and RSS, where each stalled client also holds its connection
 * (about 12 KiB) and the 64 KiB read buffer a connection keeps after a
 * read that filled its small one (read_buffer.ts): hence the bound of
 * 128 KiB per client here, against 16 MiB when the Receiver allocated the
 * announced length at once.
 */
import assert from "node:assert/strict";
import { startServer } from "../helpers/server.ts";
import { DENO } from "../helpers/targets.ts";
import { handshakeHead } from "../helpers/raw_http.ts";
import { clientFrame } from "../helpers/client_frames.ts";
import { waitForHealth } from "../helpers/ws.ts";

const CLIENTS = 2_000;
const ANNOUNCED = 16 * 1024 * 1024;
const encoder = new TextEncoder();

/** VmSize and VmRSS of `pid`, in KiB. */
async function memoryOf(pid: number): Promise<{ size: number; rss: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { size: field("VmSize"), rss: field("VmRSS") };
}

/** Reads until the response head has ended (the 101). */
async function readHead(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(1024);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("closed before a response");
    head += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return head;
}

Deno.test({
  name:
    "[deno-wsecho] 2,000 clients announcing 16 MiB and sending 1 KiB add under 128 KiB of address space each, not 16 MiB",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using server = await startServer(DENO, {
      args: ["--engine", "wsecho", "--idle-timeout", "0"],
    });
    const pid = server.child.pid;
    const conns: Deno.Conn[] = [];
    try {
      // A first client warms up the paths (handshake, a split frame)
      // before the baseline.
      const start = clientFrame({
        opcode: 2,
        payload: new Uint8Array(1024).fill(7),
        announcedLength: ANNOUNCED,
      });
      const head = encoder.encode(handshakeHead());
      const open = async () => {
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: server.port,
        });
        conns.push(conn);
        await conn.write(head);
        assert.match(await readHead(conn), /^HTTP\/1\.1 101 /);
        await conn.write(start);
      };
      await open();
      await waitForHealth(server.http, (h) => h.clients === 1);
      const before = await memoryOf(pid);
      for (let i = 1; i < CLIENTS; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, CLIENTS - i) }, open),
        );
      }
      await waitForHealth(server.http, (h) => h.clients === CLIENTS);
      // Let the server read every client's 1 KiB.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const after = await memoryOf(pid);
      const sizePerClient = (after.size - before.size) / (CLIENTS - 1);
      const rssPerClient = (after.rss - before.rss) / (CLIENTS - 1);
      console.log(
        `  VmSize ${before.size} → ${after.size} KiB (${
          sizePerClient.toFixed(1)
        } KiB per client), VmRSS ${before.rss} → ${after.rss} KiB (${
          rssPerClient.toFixed(1)
        } KiB per client)`,
      );
      assert.ok(sizePerClient < 128, `${sizePerClient} KiB per client`);
    } finally {
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
    }
  },
});
