import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP load balancer in front of the cluster's frontends, as on real machines (an L4 balancer, a Kubernetes
 * Service): each new connection goes to the next frontend that accepts it, so clients and workers dial one address
 * and reconnect to a live node when theirs dies.
 */
export async function startBalancer(
  backends: readonly string[],
): Promise<{ address: string; connections: Map<string, number>; close: () => Promise<void> }> {
  let next = 0;
  const sockets = new Set<Socket>();
  const connections = new Map<string, number>();
  const dial = (client: Socket, tried: number): void => {
    if (tried >= backends.length) {
      client.destroy();
      return;
    }
    const backend = backends[next++ % backends.length] ?? '';
    const at = backend.lastIndexOf(':');
    const upstream = connect(Number(backend.slice(at + 1)), backend.slice(0, at));
    sockets.add(upstream);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      connections.set(backend, (connections.get(backend) ?? 0) + 1);
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    upstream.on('error', () => undefined);
    upstream.once('close', () => {
      sockets.delete(upstream);
      // A frontend that refused the connection: the next one. One that dropped it: the client reconnects.
      if (connected) client.destroy();
      else if (!client.destroyed) dial(client, tried + 1);
    });
    client.once('close', () => upstream.destroy());
  };
  const server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.once('close', () => sockets.delete(client));
    dial(client, 0);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    connections,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}
