// A listening port taken before the server that answers on it is built. AUTHD_PORT=0 lets the system
// pick a free port, and the app must know which one before it is built (its public URL, when
// AUTHD_PUBLIC_URL is unset, names it: config.ts listeningOn). Connections that arrive in between
// wait, their bytes buffered, until the server takes the port.
import net, { type AddressInfo, type Socket } from "node:net";

export interface BoundPort {
  readonly server: net.Server;
  /** The port really bound. */
  readonly port: number;
  /** Hands every connection to `accept` from now on, the ones that waited first. */
  take(accept: (socket: Socket) => void): void;
  /** Closes a port no server took (start-up failed), with the connections that waited. */
  close(): Promise<void>;
}

export async function bindPort(host: string, port: number): Promise<BoundPort> {
  const server = net.createServer();
  let waiting: Socket[] = [];
  let accept: ((socket: Socket) => void) | undefined;
  server.on("connection", (socket: Socket) => {
    if (accept) {
      accept(socket);
      return;
    }
    // An error on a waiting connection (the client gave up) ends it rather than the process.
    socket.on("error", () => socket.destroy());
    waiting.push(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    take(handler) {
      accept = handler;
      for (const socket of waiting) if (!socket.destroyed) handler(socket);
      waiting = [];
    },
    close() {
      for (const socket of waiting) socket.destroy();
      waiting = [];
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
