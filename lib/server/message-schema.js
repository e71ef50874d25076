/**
 * Per-service message schemas: a JSON Schema over the JSON view of terms
 * (toJson in src/wire/etf/format.ts), compiled once at start-up with ajv.
 */
import { Ajv } from 'ajv';
import { ChanError } from "../errors.js";
import { toJson } from "../wire/etf/format.js";
/** Returns a checker: undefined for a good message, else the validation message. */
export function compileMessageSchema(schema, where) {
    // One Ajv per schema: a shared one refuses a second schema with the same $id (two services
    // naming one file, or any reload), and keeps every schema ever compiled.
    const ajv = new Ajv({ allErrors: false, strict: false });
    let check;
    try {
        check = ajv.compile(schema);
    }
    catch (e) {
        throw new ChanError('badConf', `${where}: the message schema does not compile: ${e.message}`, { cause: e });
    }
    return (term) => {
        if (check(toJson(term)))
            return undefined;
        return ajv.errorsText(check.errors, { dataVar: 'message' });
    };
}
//# sourceMappingURL=message-schema.js.map