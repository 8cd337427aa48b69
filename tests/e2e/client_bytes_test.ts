/**
 * The console client's exact-bytes modes against the real server on each
 * runtime: --binary sends stdin's bytes as read, --hex sends the bytes it
 * spells, --file sends a file and compares its echo byte for byte.
 */
import assert from "node:assert/strict";
import {
  helpHint,
  type ServerProcess,
  startServer,
} from "../helpers/server.ts";
import { runClient, stderrBesidesConnect } from "../helpers/client.ts";
import { RUNTIME_TARGETS } from "../helpers/targets.ts";

async function health(server: ServerProcess) {
  return await (await fetch(`${server.http}/healthz`)).json();
}

const tmp = await Deno.makeTempDir({ prefix: "wsecho-client-bytes-" });
globalThis.addEventListener(
  "unload",
  () => Deno.removeSync(tmp, { recursive: true }),
);

for (const target of RUNTIME_TARGETS) {
  const runtime = target.runtime;
  Deno.test(`[${target.name}] client --binary: stdin's bytes unchanged, \\xff\\xfe and CR included`, async () => {
    await using server = await startServer(target);
    // Not UTF-8, a CR before LF, and a last line without LF.
    const input = new Uint8Array([0xff, 0xfe, 0x0a, 0x00, 0x0d, 0x0a, 0x80]);
    const run = await runClient(runtime, ["--binary", server.url], input);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "fffe\n000d\n80\n");
    const stats = await health(server);
    assert.deepEqual(stats.messagesIn, { text: 0, binary: 3 });
    assert.deepEqual(stats.bytesIn, { text: 0, binary: 5 });
  });

  Deno.test(`[${target.name}] client --hex: each line's bytes as one binary message, an empty line an empty one`, async () => {
    await using server = await startServer(target);
    const run = await runClient(
      runtime,
      ["--hex", server.url],
      "ff fe\r\n00\n\nDEADbeef\n",
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "fffe\n00\n\ndeadbeef\n");
    const stats = await health(server);
    assert.deepEqual(stats.messagesIn, { text: 0, binary: 4 });
    assert.deepEqual(stats.bytesIn, { text: 0, binary: 7 });

    const once = await runClient(runtime, ["--hex", "-m", "48 69", server.url]);
    assert.equal(once.code, 0, once.stderr);
    assert.equal(once.stdout, "4869\n");
  });

  Deno.test(`[${target.name}] client --hex: bad hex is a usage error (exit 2), on stdin after the lines before it`, async () => {
    await using server = await startServer(target, { args: ["--debug"] });
    const run = await runClient(runtime, ["--hex", server.url], "ff\nzz\n00\n");
    assert.equal(run.code, 2);
    assert.equal(run.stdout, "ff\n");
    assert.deepEqual(stderrBesidesConnect(run.stderr), [
      `wsecho client: line 2 is not hex (two digits a byte, e.g. 'fffe' or 'ff fe'): "zz"`,
    ]);
    // The connection still ends with a closing handshake.
    const bye = await server.waitForLog("disconnected");
    assert.equal(bye.properties.code, 1000);

    for (const bad of ["f", "fg", "f f"]) {
      const once = await runClient(runtime, ["--hex", "-m", bad, server.url]);
      assert.equal(once.code, 2, bad);
      assert.equal(
        once.stderr,
        `wsecho: --message is not hex (two digits a byte, e.g. 'fffe' or 'ff fe'): '${bad}' ${
          helpHint(runtime, "client")
        }\n`,
      );
    }
  });

  Deno.test(`[${target.name}] client --file: sends the file as one binary message, the echo matches byte for byte`, async () => {
    await using server = await startServer(target);
    // Every byte value, many times over, in an order no codec would keep.
    const bytes = Uint8Array.from(
      { length: 100 * 1024 + 3 },
      (_, i) => (i * 167 + (i >> 8)) & 0xff,
    );
    const path = `${tmp}/${runtime}.bin`;
    await Deno.writeFile(path, bytes);
    const run = await runClient(runtime, ["--file", path, server.url]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `echo matches: ${bytes.length} bytes\n`);
    const stats = await health(server);
    assert.deepEqual(stats.messagesIn, { text: 0, binary: 1 });
    assert.deepEqual(stats.bytesIn, { text: 0, binary: bytes.length });

    const missing = await runClient(runtime, [
      "--file",
      `${tmp}/nope`,
      server.url,
    ]);
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr,
      `wsecho client: --file: cannot read '${tmp}/nope': no such file\n`,
    );
  });

  Deno.test(`[${target.name}] client --file: an echo that differs is reported with where, exit 3`, async () => {
    // A real WebSocket server that flips one byte: wsecho never would.
    await using corrupting = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => {
        const { socket, response } = Deno.upgradeWebSocket(request);
        socket.binaryType = "arraybuffer";
        socket.onmessage = ({ data }) => {
          const echo = new Uint8Array(data as ArrayBuffer);
          echo[5] ^= 0xff;
          socket.send(echo);
        };
        return response;
      },
    );
    const path = `${tmp}/${runtime}-small.bin`;
    await Deno.writeFile(path, new Uint8Array(16));
    const run = await runClient(runtime, [
      "--file",
      path,
      `ws://127.0.0.1:${corrupting.addr.port}/`,
    ]);
    assert.equal(run.code, 3, run.stderr);
    assert.equal(
      run.stdout,
      "echo differs: sent 16 bytes, got 16; first difference at byte 5\n",
    );
  });
}
