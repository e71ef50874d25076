/** File extensions tried, in order, for a service module `Mod`: compiled JavaScript first, as it needs no loader. */
export declare const MODULE_EXTENSIONS: readonly [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"];
/** Set on globalThis by whoever registers tsx in a thread (also worker-boot.mjs), so it is registered once. */
export declare const TSX_MARK: unique symbol;
/** Whether a handler file needs a TypeScript loader. */
export declare const isTypeScript: (file: string) => boolean;
/**
 * Register tsx's loader in this thread, once. It is looked for beside
 * lib-chan first, then from the handler's own folder (a project that has
 * tsx but installed lib-chan elsewhere).
 */
export declare function registerTypeScript(fromFile: string): Promise<void>;
/**
 * Import `file` and return its exports (for CommonJS, the named exports Node
 * detects plus `default`). Throws the module's own error, unchanged. A
 * TypeScript file gets its loader first: Node remembers a failed import of a
 * URL, so trying without it and retrying would fail again.
 */
export declare function importHandlerModule(file: string): Promise<Record<string, unknown>>;
/** The exported function `fn` of a module namespace, also under a CommonJS module's `default`. */
export declare function exportedFunction(mod: Record<string, unknown>, fn: string): ((...args: never[]) => unknown) | undefined;
/** The names of the functions a module exports (for "it exports a, b" in an error). */
export declare function exportedFunctionNames(mod: Record<string, unknown>): string[];
/**
 * What went wrong loading a module, in one line with its location: esbuild's
 * (tsx's) errors carry `errors[].location`; Node's SyntaxError puts
 * `file:line` on the first line of its stack; the rest say it in the message.
 */
export declare function describeLoadError(e: unknown): string;
//# sourceMappingURL=handler-module.d.ts.map