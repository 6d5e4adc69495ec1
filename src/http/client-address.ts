// Which address a request comes from, and the key per-address limits count it under. Both come
// from values a client cannot choose freely: the socket's peer, or the address the configured
// number of trusted proxies saw.
import { isIP } from "node:net";

/**
 * The client's address. Without trusted proxies it is the socket's peer. Behind `trustedProxies`
 * proxies, each of which appends the address it saw to X-Forwarded-For, the client is the entry
 * that many places from the right (the rightmost is what the nearest proxy saw); entries further
 * left were written by the client and prove nothing. Like Express's `trust proxy` with a hop count.
 * Anything that is not an IP address falls back to the socket's peer.
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: number,
): string {
  const peer = normalizeIp(socketAddress ?? "") ?? "";
  if (trustedProxies === 0 || forwardedFor === undefined) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor)
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (hops.length === 0) return peer;
  // The peer is the nearest proxy; each trusted proxy before it contributes one hop from the right.
  const chosen = hops[Math.max(0, hops.length - trustedProxies)] ?? "";
  return normalizeIp(chosen) ?? peer;
}

/**
 * The key per-address rate limits count under: an IPv4 address as is, an IPv6 address by its /64
 * (one subscriber usually holds a whole /64, so counting single IPv6 addresses limits nothing).
 */
export function rateLimitKeyFor(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const groups = expandIpv6(ip);
  return groups ? `${groups.slice(0, 4).join(":")}::/64` : ip;
}

/** A valid IP address in canonical form (IPv4-mapped IPv6 as plain IPv4, no zone), or undefined. */
export function normalizeIp(raw: string): string | undefined {
  const address = raw.replace(/%.*$/, "");
  const version = isIP(address);
  if (version === 4) return address;
  if (version !== 6) return undefined;
  const groups = expandIpv6(address);
  if (!groups) return undefined;
  const mapped = groups.slice(0, 5).every((g) => g === "0") && groups[5] === "ffff";
  if (mapped) {
    const high = Number.parseInt(groups[6] ?? "0", 16);
    const low = Number.parseInt(groups[7] ?? "0", 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join(".");
  }
  return compressIpv6(groups);
}

/** The eight groups of an IPv6 address, lower-case hex without leading zeros. */
function expandIpv6(address: string): string[] | undefined {
  let text = address.toLowerCase();
  // A trailing dotted IPv4 part (::ffff:1.2.3.4) stands for the last two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array<string>(missing).fill("0"), ...right];
  return groups.map((g) => Number.parseInt(g, 16).toString(16));
}

/** RFC 5952 text: the longest run (two or more) of zero groups becomes "::". */
function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(":");
  return `${groups.slice(0, bestStart).join(":")}::${groups.slice(bestStart + bestLength).join(":")}`;
}
