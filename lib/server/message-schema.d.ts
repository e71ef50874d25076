import type { Term } from '../wire/etf/term.ts';
/** Returns a checker: undefined for a good message, else the validation message. */
export declare function compileMessageSchema(schema: unknown, where: string): (term: Term) => string | undefined;
//# sourceMappingURL=message-schema.d.ts.map