/** What every `lib_chan` subcommand provides, and the CLI's exit codes. */
import type { ParseArgsConfig } from 'node:util';
/** 0 success; 1 the operation failed (connection, login, rpc); 2 usage error; 3 invalid configuration. */
export declare const EXIT: {
    readonly ok: 0;
    readonly failed: 1;
    readonly usage: 2;
    readonly badConf: 3;
};
export declare class UsageError extends Error {
}
export interface Command {
    summary: string;
    usage: string;
    options: NonNullable<ParseArgsConfig['options']>;
    help: string;
    run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number | 'keep-running'>;
}
//# sourceMappingURL=command.d.ts.map