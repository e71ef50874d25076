const noop = () => { };
export const SILENT_LOGGER = { debug: noop, info: noop, warn: noop, error: noop };
//# sourceMappingURL=logger.js.map