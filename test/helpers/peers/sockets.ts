// Checks that a peer closed everything it opened: its port refuses connections, and this process
// holds no more TCP handles than before it started.
import net from "node:net";

/** Resolves true when a TCP connection to `url`'s host and port is refused. */
export function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

/** TCP servers and sockets open in this process (node's own count of its active handles). */
export function openTcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).length;
}

/**
 * Waits (up to `timeoutMs`) until no more than `count` TCP handles are open: a client's keep-alive
 * socket closes a moment after the server hung up, on the next turn of the event loop.
 */
export async function tcpHandlesSettleAt(count: number, timeoutMs = 2000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (openTcpHandles() > count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return openTcpHandles();
}
