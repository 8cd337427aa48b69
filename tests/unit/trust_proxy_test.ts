/**
 * `--trust-proxy`: the address and CIDR parser, the matcher, and reading
 * the client out of X-Forwarded-For and Forwarded (RFC 7239) with the
 * right-most untrusted rule (lib/http/cidr.ts, lib/http/forwarded.ts).
 */
import assert from "node:assert/strict";
import {
  formatCidr,
  formatIp,
  parseCidr,
  parseIp,
  trustedProxies,
} from "../../lib/http/cidr.ts";
import { forwardedClient } from "../../lib/http/forwarded.ts";

Deno.test("IPv4 and IPv6 addresses parse to their bytes; anything else does not", () => {
  assert.deepEqual([...parseIp("203.0.113.7")!], [203, 0, 113, 7]);
  assert.deepEqual(
    [...parseIp("2001:db8::7")!],
    [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7],
  );
  assert.deepEqual([...parseIp("::")!], new Array(16).fill(0));
  assert.deepEqual([...parseIp("::1")!].slice(14), [0, 1]);
  assert.deepEqual(
    [...parseIp("1:2:3:4:5:6:7:8")!].slice(0, 4),
    [0, 1, 0, 2],
  );
  assert.deepEqual([...parseIp("fe80::1%eth0")!].slice(0, 2), [0xfe, 0x80]);
  // IPv4-mapped IPv6, as a dual-stack listener sees IPv4 clients: IPv4.
  assert.deepEqual([...parseIp("::ffff:127.0.0.1")!], [127, 0, 0, 1]);
  assert.deepEqual([...parseIp("::FFFF:7f00:1")!], [127, 0, 0, 1]);
  for (
    const bad of [
      "",
      "localhost",
      "256.0.0.1",
      "1.2.3",
      "1.2.3.4.5",
      "01.2.3.4",
      "1.2.3.-4",
      " 1.2.3.4",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "12345::",
      "::g",
      ":1",
      "1.2.3.4:80",
      "[::1]",
    ]
  ) {
    assert.equal(parseIp(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("addresses print in their usual short form", () => {
  for (
    const [text, shown] of [
      ["203.0.113.7", "203.0.113.7"],
      ["2001:0db8:0:0:0:0:0:7", "2001:db8::7"],
      ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
      ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
      ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
      ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
      ["::", "::"],
      ["::1", "::1"],
      ["fd00::", "fd00::"],
    ]
  ) {
    assert.equal(formatIp(parseIp(text)!), shown, text);
  }
});

Deno.test("CIDR ranges: prefixes within the family, plain addresses as a range of one", () => {
  assert.equal(formatCidr(parseCidr("10.0.0.0/8")!), "10.0.0.0/8");
  assert.equal(formatCidr(parseCidr("127.0.0.1")!), "127.0.0.1/32");
  assert.equal(formatCidr(parseCidr("::1")!), "::1/128");
  assert.equal(formatCidr(parseCidr("fd00::/8")!), "fd00::/8");
  assert.equal(formatCidr(parseCidr("0.0.0.0/0")!), "0.0.0.0/0");
  assert.equal(formatCidr(parseCidr("::ffff:10.0.0.0/104")!), "10.0.0.0/8");
  for (
    const bad of [
      "10.0.0.0/33",
      "::/129",
      "10.0.0.0/",
      "10.0.0.0/-1",
      "10.0.0.0/8/8",
      "10.0.0.0/0x8",
      "/8",
      "example.com/8",
      "::ffff:10.0.0.0/95",
    ]
  ) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
});

Deno.test("the matcher: addresses inside and outside each range, across prefix boundaries", () => {
  const trusted = trustedProxies([
    "127.0.0.1",
    "10.0.0.0/8",
    "192.168.4.0/22",
    "172.16.0.0/12",
    "fd00::/8",
    "2001:db8:1::/49",
  ])!;
  for (
    const inside of [
      "127.0.0.1",
      "::ffff:127.0.0.1",
      "10.0.0.0",
      "10.255.255.255",
      "192.168.4.0",
      "192.168.7.255",
      "172.16.0.1",
      "172.31.255.255",
      "fd12:3456::1",
      "2001:db8:1:7fff::1",
    ]
  ) {
    assert.ok(trusted.matches(inside), inside);
  }
  for (
    const outside of [
      "127.0.0.2",
      "::1",
      "11.0.0.0",
      "192.168.3.255",
      "192.168.8.0",
      "172.32.0.0",
      "172.15.255.255",
      "fe00::1",
      "2001:db8:1:8000::1",
      "not an address",
      "",
    ]
  ) {
    assert.ok(!trusted.matches(outside), outside);
  }
  assert.equal(trustedProxies([]), undefined, "no list: nothing to do");
  assert.ok(trustedProxies(["192.168.1.7/24"])!.matches("192.168.1.200"));
});

const trusted = trustedProxies(["127.0.0.1", "10.0.0.0/8", "fd00::/8"])!;
const client = (peer: string, headers: Record<string, string>) =>
  forwardedClient(peer, new Headers(headers), trusted);

Deno.test("X-Forwarded-For: the right-most address that is not a trusted proxy", () => {
  const xff = (value: string) =>
    client("127.0.0.1", { "x-forwarded-for": value });
  assert.equal(xff("203.0.113.7"), "203.0.113.7");
  // A client's forged entry on the left does not win.
  assert.equal(xff("6.6.6.6, 203.0.113.7"), "203.0.113.7");
  // Trusted hops on the right are skipped.
  assert.equal(xff("6.6.6.6, 203.0.113.7, 10.0.0.2, 10.0.0.1"), "203.0.113.7");
  assert.equal(xff("  203.0.113.7  ,10.0.0.1"), "203.0.113.7");
  assert.equal(xff("2001:DB8::7"), "2001:db8::7");
  assert.equal(xff("[2001:db8::7]:4711"), "2001:db8::7");
  assert.equal(xff("203.0.113.7:4711"), "203.0.113.7");
  // All trusted: as far as the chain goes.
  assert.equal(xff("10.9.9.9, 10.0.0.1"), "10.9.9.9");
  // Unreadable right after the trusted hops: the last vouched-for address.
  assert.equal(xff("203.0.113.7, unknown, 10.0.0.1"), "10.0.0.1");
  assert.equal(xff("unknown"), undefined);
  assert.equal(xff(""), undefined);
  // Unreadable further left than the client: does not matter.
  assert.equal(xff("garbage, 203.0.113.7"), "203.0.113.7");
  // HAProxy adds its own header line; Headers joins them in order.
  const headers = new Headers();
  headers.append("x-forwarded-for", "6.6.6.6");
  headers.append("x-forwarded-for", "203.0.113.7");
  assert.equal(forwardedClient("127.0.0.1", headers, trusted), "203.0.113.7");
});

Deno.test("Forwarded (RFC 7239): for= with quotes, IPv6 in brackets, ports, other parameters", () => {
  const fwd = (value: string) => client("10.0.0.1", { forwarded: value });
  assert.equal(fwd("for=203.0.113.7"), "203.0.113.7");
  assert.equal(fwd('For="203.0.113.7:4711"'), "203.0.113.7");
  assert.equal(fwd('for="[2001:db8:cafe::17]:4711"'), "2001:db8:cafe::17");
  assert.equal(fwd('for="[2001:db8:cafe::17]"'), "2001:db8:cafe::17");
  assert.equal(
    fwd("for=192.0.2.60;proto=http;by=203.0.113.43"),
    "192.0.2.60",
  );
  assert.equal(
    fwd('proto=https; for="198.51.100.1", for=192.0.2.43;by="[fd00::1]"'),
    "192.0.2.43",
  );
  // A comma or semicolon inside quotes is not a separator.
  assert.equal(fwd('by="a,b;c", for=192.0.2.43'), "192.0.2.43");
  assert.equal(
    fwd('for=6.6.6.6, for=192.0.2.43, for="[fd00::2]"'),
    "192.0.2.43",
  );
  // Obfuscated and unknown nodes name no address.
  assert.equal(fwd("for=_hidden"), undefined);
  assert.equal(fwd("for=unknown, for=10.0.0.5"), "10.0.0.5");
  assert.equal(fwd("proto=http"), undefined);
});

Deno.test("X-Forwarded-For is preferred to Forwarded; untrusted peers' headers are ignored", () => {
  assert.equal(
    client("127.0.0.1", {
      "x-forwarded-for": "203.0.113.7",
      forwarded: "for=6.6.6.6",
    }),
    "203.0.113.7",
  );
  assert.equal(
    client("192.0.2.1", { "x-forwarded-for": "6.6.6.6" }),
    undefined,
  );
  assert.equal(client("192.0.2.1", { forwarded: "for=6.6.6.6" }), undefined);
  assert.equal(client("127.0.0.1", {}), undefined);
  assert.equal(
    client("::ffff:127.0.0.1", { "x-forwarded-for": "203.0.113.7" }),
    "203.0.113.7",
  );
});
