/**
 * The transports every integration suite runs over: one suite, parameterized
 * (as ranch's groups run the same cases under tcp and tcp_socket).
 */
import { connect, type ConnectOptions } from '../../src/client/node.ts';
import type { Channel } from '../../src/chan/channel.ts';
import type { Term } from '../../src/wire/etf/term.ts';
import type { TestServer } from './start-server.ts';

export interface TestTransport {
  name: string;
  connect(ts: TestServer, service: string, password: string | null, argsC?: Term, options?: ConnectOptions): Promise<Channel>;
}

export const TRANSPORTS: TestTransport[] = [
  {
    name: 'tcp',
    connect: (ts, service, password, argsC = [], options = {}) =>
      connect('127.0.0.1', ts.port, service, password, argsC, { serverKey: ts.server.publicKey, ...options }),
  },
  {
    name: 'ws',
    connect: (ts, service, password, argsC = [], options = {}) =>
      connect(`ws://127.0.0.1:${ts.server.wsPort}/chan`, service, password, argsC, { serverKey: ts.server.publicKey, ...options }),
  },
];
