import { type Logger } from 'pino';
export type { Logger };
export declare const REDACT_PATHS: string[];
export interface LogOptions {
    level?: string;
    /** Human-readable lines (pino-pretty) instead of JSON. */
    pretty?: boolean;
    /** Where JSON lines go; defaults to stdout. */
    destination?: NodeJS.WritableStream;
}
export declare function createLogger(opts?: LogOptions): Logger;
//# sourceMappingURL=log.d.ts.map