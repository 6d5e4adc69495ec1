// Which addresses authd's outbound requests may reach: the public internet only. An address is
// classed by the IANA special-purpose registries (RFC 6890 and its updates); an IPv6 address that
// carries an IPv4 one (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16) is classed by
// the IPv4 address it reaches, so ::ffff:127.0.0.1 is loopback and a DNS64 answer for a public host
// is public. The cloud metadata services are classed apart: the development allowance lets loopback
// and private addresses through, never them (nothing in development needs the instance's credentials).
import net from "node:net";

export type AddressClass =
  | "metadata"
  | "unspecified"
  | "loopback"
  | "link-local"
  | "private"
  | "carrier-grade NAT"
  | "multicast"
  | "reserved";

type Rule = [cls: AddressClass, subnets: string[]];

// Checked in this order: the first class whose subnets hold the address is its class.
const IPV4: Rule[] = [
  [
    "metadata",
    [
      "169.254.169.254/32", // AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack
      "169.254.170.2/32", // AWS ECS task credentials
      "100.100.100.200/32", // Alibaba Cloud
      "168.63.129.16/32", // Azure WireServer (a public-looking address)
    ],
  ],
  ["unspecified", ["0.0.0.0/8"]],
  ["loopback", ["127.0.0.0/8"]],
  ["link-local", ["169.254.0.0/16"]],
  ["private", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]],
  ["carrier-grade NAT", ["100.64.0.0/10"]],
  ["multicast", ["224.0.0.0/4"]],
  [
    "reserved",
    [
      "192.0.0.0/24", // IETF protocol assignments
      "192.0.2.0/24", // documentation (TEST-NET-1)
      "192.88.99.0/24", // 6to4 relay anycast (deprecated)
      "198.18.0.0/15", // benchmarking
      "198.51.100.0/24", // documentation (TEST-NET-2)
      "203.0.113.0/24", // documentation (TEST-NET-3)
      "240.0.0.0/4", // reserved, and 255.255.255.255
    ],
  ],
];

const IPV6: Rule[] = [
  ["metadata", ["fd00:ec2::254/128"]], // AWS instance metadata over IPv6
  ["unspecified", ["::/128"]],
  ["loopback", ["::1/128"]],
  ["link-local", ["fe80::/10"]],
  ["private", ["fc00::/7", "fec0::/10"]], // unique local; site-local (deprecated)
  ["multicast", ["ff00::/8"]],
  [
    "reserved",
    [
      "2001::/23", // IETF protocol assignments, Teredo included
      "2001:db8::/32", // documentation
      "3fff::/20", // documentation
    ],
  ],
];

/** Global unicast: every IPv6 address outside it that no rule names is reserved. */
const GLOBAL_UNICAST = blockList([["reserved", ["2000::/3"]]], "ipv6");

function blockList(rules: Rule[], family: "ipv4" | "ipv6"): net.BlockList {
  const list = new net.BlockList();
  for (const [, subnets] of rules) {
    for (const subnet of subnets) {
      const [address, prefix] = subnet.split("/") as [string, string];
      list.addSubnet(address, Number(prefix), family);
    }
  }
  return list;
}

const compile = (rules: Rule[], family: "ipv4" | "ipv6") =>
  rules.map(([cls, subnets]) => [cls, blockList([[cls, subnets]], family)] as const);

const IPV4_LISTS = compile(IPV4, "ipv4");
const IPV6_LISTS = compile(IPV6, "ipv6");

/**
 * The class of an IP address outside the public internet, or undefined for a public one. Anything
 * that is not an IP address is "reserved": a caller never gets a pass for text it did not expect.
 */
export function classifyAddress(address: string): AddressClass | undefined {
  const bare = address.replace(/%.*$/, ""); // an IPv6 zone (fe80::1%eth0) names an interface, not a host
  const family = net.isIP(bare);
  if (family === 4) return classifyIpv4(bare);
  if (family !== 6) return "reserved";
  const embedded = embeddedIpv4(bare);
  if (embedded !== undefined) return classifyIpv4(embedded);
  for (const [cls, list] of IPV6_LISTS) if (list.check(bare, "ipv6")) return cls;
  return GLOBAL_UNICAST.check(bare, "ipv6") ? undefined : "reserved";
}

function classifyIpv4(address: string): AddressClass | undefined {
  for (const [cls, list] of IPV4_LISTS) if (list.check(address, "ipv4")) return cls;
  return undefined;
}

/** The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4), or undefined. */
function embeddedIpv4(address: string): string | undefined {
  const w = ipv6Words(address);
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && w[5] === 0xffff) return quad(w[6]!, w[7]!); // ::ffff:a.b.c.d
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return quad(w[6]!, w[7]!); // 64:ff9b::a.b.c.d
  if (w[0] === 0x2002) return quad(w[1]!, w[2]!); // 2002:aabb:ccdd::
  return undefined;
}

/** The eight 16-bit words of an IPv6 address (the URL parser writes it out canonically first). */
function ipv6Words(address: string): number[] {
  const canonical = new URL(`http://[${address}]`).hostname.slice(1, -1);
  const [head, tail] = canonical.includes("::") ? canonical.split("::") : [canonical, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const gap = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...gap, ...right].map((word) => Number.parseInt(word, 16));
}

/** Names that mean this machine (RFC 6761) or a cloud metadata service, refused before any lookup. */
const METADATA_NAMES = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
]);

export type NameClass = "loopback" | "metadata";

/** The class of a host name that is refused whatever it resolves to, or undefined. */
export function classifyHostname(hostname: string): NameClass | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (METADATA_NAMES.has(name)) return "metadata";
  if (name === "localhost" || name.endsWith(".localhost")) return "loopback";
  return undefined;
}

/**
 * Why `address` may not be connected to, or undefined when it may. With `allowPrivate` (the
 * development allowance) every class but the metadata services is allowed.
 */
export function addressProblem(address: string, allowPrivate: boolean): string | undefined {
  const cls = classifyAddress(address);
  if (cls === undefined || (allowPrivate && cls !== "metadata")) return undefined;
  if (cls === "metadata") return `${address} is a cloud metadata address`;
  return `${address} is ${cls === "unspecified" ? "an" : "a"} ${cls} address`;
}

/** Why the host name `hostname` may not be called, whatever it resolves to, or undefined. */
export function hostnameProblem(hostname: string, allowPrivate: boolean): string | undefined {
  const cls = classifyHostname(hostname);
  if (cls === undefined || (allowPrivate && cls !== "metadata")) return undefined;
  return cls === "metadata" ? `${hostname} is a cloud metadata service` : `${hostname} names this machine`;
}
