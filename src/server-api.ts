/**
 * `lib-chan/server`: the server, the handler-side types and the conf loader.
 * Loads pino (and ajv when a service names a message schema, prom-client when the conf asks for metrics); a client
 * that imports only `lib-chan` never loads this file.
 *
 *   import { startServer } from 'lib-chan/server';
 *   const server = await startServer({ conf: 'lib_chan.conf' });
 */
export { startServer, Server, type StartOptions, type ServerStats } from './server/server.ts';
export { MiddleMan, Request, type CloseInfo, type MessageCallback, type ChannelStats } from './chan/middle-man.ts';
export type { HandlerFn } from './server/services.ts';
export { loadConfig, parseConfig, redactConfig, defaultConfPath, type RedactedConfig } from './conf/load.ts';
export type { ServerConfig, ServiceConfig, PasswordSpec, RestartStrategy, WebSocketConfig, MetricsConfig, AuthMethod, LegacyPolicy } from './conf/schema.ts';
export { hashPassword, verifyPasswordHash } from './auth/password-hash-node.ts';
export { generateKeyFile, loadKeyFile } from './auth/keys-node.ts';
export { createLogger, type Logger, type LogOptions } from './server/log.ts';
