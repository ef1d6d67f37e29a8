/**
 * Outbound HTTP honours HTTP_PROXY/HTTPS_PROXY and NO_PROXY (district egress proxies), through a real CONNECT proxy on loopback.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OneRosterClient } from '../../daemon/src/oneroster/client.js';
import { readAll, sisConfig, startFakeSis, users, type FakeSis } from './fake-sis.js';

const saved = { HTTP_PROXY: process.env.HTTP_PROXY, HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY, http_proxy: process.env.http_proxy, https_proxy: process.env.https_proxy, no_proxy: process.env.no_proxy };
let proxy: Server;
let proxyUrl: string;
const tunnels: string[] = [];
let sis: FakeSis;

beforeAll(async () => {
  proxy = createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  // A tunnelling proxy: it records each CONNECT target and pipes bytes both ways.
  proxy.on('connect', (req, clientSocket, head) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(clientSocket);
      clientSocket.pipe(upstream);
    });
    upstream.on('error', () => clientSocket.destroy());
    clientSocket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  sis = await startFakeSis({ collections: { users: users(12) } });
});

afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  tunnels.length = 0;
});

afterAll(async () => {
  await sis.close();
  proxy.closeAllConnections();
  await new Promise((r) => proxy.close(r));
});

describe('egress proxy', () => {
  it('sends token and data requests through HTTP_PROXY when it is set', async () => {
    for (const k of ['no_proxy', 'NO_PROXY']) delete process.env[k];
    process.env.HTTP_PROXY = proxyUrl;
    const client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis), getSecret: async () => 'test-secret' });
    try {
      const { records } = await readAll(client.read('users'));
      expect(records).toHaveLength(12);
    } finally {
      await client.close();
    }
    expect(tunnels.length).toBeGreaterThanOrEqual(1);
    expect(new Set(tunnels)).toEqual(new Set([new URL(sis.origin).host]));
  });

  it('goes direct for hosts listed in NO_PROXY', async () => {
    process.env.HTTP_PROXY = proxyUrl;
    process.env.NO_PROXY = '127.0.0.1';
    const client = new OneRosterClient({ integration: 'test', sis: sisConfig(sis), getSecret: async () => 'test-secret' });
    try {
      const { records } = await readAll(client.read('users'));
      expect(records).toHaveLength(12);
    } finally {
      await client.close();
    }
    expect(tunnels).toEqual([]);
  });
});
