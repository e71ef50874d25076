/**
 * `lib-chan/server`: the server, the handler-side types and the conf loader.
 * Loads pino, ajv and (when the conf asks for metrics) prom-client; a client
 * that imports only `lib-chan` never loads this file.
 *
 *   import { startServer } from 'lib-chan/server';
 *   const server = await startServer({ conf: 'lib_chan.conf' });
 */
export { startServer, Server } from "./server/server.js";
export { MiddleMan, Request } from "./chan/middle-man.js";
export { loadConfig, parseConfig, redactConfig, defaultConfPath } from "./conf/load.js";
export { hashPassword, verifyPasswordHash } from "./auth/password-hash-node.js";
export { generateKeyFile, loadKeyFile } from "./auth/keys-node.js";
export { createLogger } from "./server/log.js";
//# sourceMappingURL=server-api.js.map