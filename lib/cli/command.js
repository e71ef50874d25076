/** 0 success; 1 the operation failed (connection, login, rpc); 2 usage error; 3 invalid configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2, badConf: 3 };
export class UsageError extends Error {
}
//# sourceMappingURL=command.js.map