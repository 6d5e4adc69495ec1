// The public URL authd takes when AUTHD_PUBLIC_URL is not set: the address it listens on, as a
// browser on this machine reaches it. And, in development only, the other loopback origins where the
// account app then works too: a newcomer opens http://127.0.0.1:8080/ (the listen address) as often
// as http://localhost:8080/, and a session cookie refused at one of them looks like a broken app.

/** The loopback addresses a listen address holds (`::` is dual-stack in Node; `` may fall back to IPv4). */
const LOOPBACKS_HELD: Record<string, string[]> = {
  "127.0.0.1": ["127.0.0.1"],
  "0.0.0.0": ["127.0.0.1"],
  "": ["127.0.0.1"],
  "::1": ["[::1]"],
  "::": ["127.0.0.1", "[::1]"],
  // Resolved at listen time to one of the two: which one is not known here, so neither is added.
  localhost: [],
};

/** `http://localhost:<port>` when AUTHD_HOST is loopback or a wildcard, else `http://<host>:<port>`. */
export function listenAddressUrl(host: string, port: number): string {
  if (Object.hasOwn(LOOPBACKS_HELD, host)) return `http://localhost:${port}`;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The origins of the account app on this machine when the public URL is taken from the listen
 * address: `http://localhost:<port>` and each loopback address authd itself holds at that port.
 * Only those: on a loopback address authd does not hold (IPv6 when it listens on 127.0.0.1), another
 * program could listen at the same port and ride the session cookies from there.
 */
export function loopbackAppOrigins(host: string, port: number): string[] {
  const held = Object.hasOwn(LOOPBACKS_HELD, host) ? LOOPBACKS_HELD[host] : undefined;
  if (!held) return [];
  return [`http://localhost:${port}`, ...held.map((address) => `http://${address}:${port}`)];
}
