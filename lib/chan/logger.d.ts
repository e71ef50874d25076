/**
 * The logging surface the isomorphic layers need: pino's method shape
 * (`log.info({ event, ... }, 'text')`), so a pino logger passes in as is and
 * the browser client can pass a no-op.
 */
export interface ChanLogger {
    debug(obj: object, msg?: string): void;
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
}
export declare const SILENT_LOGGER: ChanLogger;
//# sourceMappingURL=logger.d.ts.map