/**
 * IP addresses and CIDR ranges, for `--trust-proxy`: parsing IPv4 and IPv6
 * text into bytes, and a matcher that says whether an address is in any of
 * a list of ranges. An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, what
 * a server listening on `::` sees of an IPv4 client) counts as its IPv4
 * address, so `127.0.0.1` trusts it too.
 */

/** The 4 (IPv4) or 16 (IPv6) bytes of `text`, or undefined if it is none. */
export function parseIp(text: string): Uint8Array | undefined {
  const v4 = parseIpv4(text);
  if (v4) return v4;
  const v6 = parseIpv6(text);
  if (v6 && isIpv4Mapped(v6)) return v6.subarray(12);
  return v6;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    // Decimal only, no leading zeros: "010" is octal to some parsers.
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) {
      return undefined;
    }
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  // A zone (`fe80::1%eth0`) names an interface, not an address: drop it.
  const address = text.replace(/%[\w.-]+$/, "");
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return undefined;
  const groups = head.length + tail.length;
  if (halves.length === 2 ? groups > 7 : groups !== 8) return undefined;
  const bytes = new Uint8Array(16);
  const write = (values: number[], at: number) =>
    values.forEach((value, i) => {
      bytes[at + 2 * i] = value >> 8;
      bytes[at + 2 * i + 1] = value & 0xff;
    });
  write(head, 0);
  write(tail, 16 - 2 * tail.length);
  return bytes;
}

/** The 16-bit groups of one side of `::`, an IPv4 tail as two groups. */
function groupsOf(text: string): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (!v4) return undefined;
      groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
      groups.push(parseInt(part, 16));
    } else return undefined;
  }
  return groups;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** A range of addresses: the first `prefix` bits of `network`. */
export interface Cidr {
  readonly network: Uint8Array;
  readonly prefix: number;
}

/**
 * `10.0.0.0/8`, `fd00::/8`, or a plain address (a range of one). Bits
 * past the prefix are ignored (`192.168.1.7/24` is `192.168.1.0/24`), as
 * nginx's `set_real_ip_from` does. Undefined if `text` is neither.
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const network = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!network) return undefined;
  const bits = network.length * 8;
  if (slash < 0) return { network, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  // `::ffff:10.0.0.0/104` is `10.0.0.0/8`: the address became IPv4.
  if (bits === 32 && text.slice(0, slash).includes(":")) prefix -= 96;
  if (prefix < 0 || prefix > bits) return undefined;
  return { network, prefix };
}

/** `network/prefix` as people write it, for logs and errors. */
export function formatCidr({ network, prefix }: Cidr): string {
  return `${formatIp(network)}/${prefix}`;
}

/** Dotted IPv4, or IPv6 with the longest run of zero groups as `::`. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups = Array.from(
    { length: 8 },
    (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1],
  );
  let best = -1, bestLength = 1;
  for (let i = 0; i < 8;) {
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) [best, bestLength] = [i, end - i];
    i = end === i ? i + 1 : end;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(":");
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${
    hex(groups.slice(best + bestLength))
  }`;
}

/** Whether `address` (bytes of the same family) lies in `cidr`. */
function contains({ network, prefix }: Cidr, address: Uint8Array): boolean {
  if (address.length !== network.length) return false;
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) {
    if (address[i] !== network[i]) return false;
  }
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole] & mask) === (network[whole] & mask);
}

/**
 * A matcher for `texts` (`--trust-proxy` values, already validated), or
 * undefined for none, so that callers can skip all the work.
 */
export function trustedProxies(
  texts: readonly string[],
): AddressMatcher | undefined {
  if (texts.length === 0) return undefined;
  return new AddressMatcher(texts.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new TypeError(`not an address or CIDR range: ${text}`);
    return cidr;
  }));
}

/** Says whether an address is in any of a list of ranges. */
export class AddressMatcher {
  constructor(readonly ranges: readonly Cidr[]) {}

  /** `127.0.0.1`, `::1`, `::ffff:10.1.2.3`; false for anything else. */
  matches(address: string): boolean {
    const bytes = parseIp(address);
    return bytes !== undefined && this.matchesBytes(bytes);
  }

  /** The same for an address already parsed by {@linkcode parseIp}. */
  matchesBytes(address: Uint8Array): boolean {
    return this.ranges.some((range) => contains(range, address));
  }
}
