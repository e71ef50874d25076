/** This package's version, from its package.json (the same file in the source tree and the installed package). */
export declare function version(): string;
export declare function main(argv: string[]): Promise<number | 'keep-running'>;
/** Run the CLI as a program: bin/lib-chan.js, or this file run directly (`node --import tsx src/cli/main.ts`, as the tests do). */
export declare function runCli(argv: string[]): Promise<void>;
//# sourceMappingURL=main.d.ts.map