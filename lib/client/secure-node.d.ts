import type { ConnectOptions } from './connect.ts';
export declare function defaultKnownHostsFile(): string;
export declare function nodeClientDefaults(options: ConnectOptions, hostport: string): ConnectOptions;
//# sourceMappingURL=secure-node.d.ts.map