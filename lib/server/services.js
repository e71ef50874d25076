/**
 * The services a server offers: each conf entry with its handler function,
 * which the conf loader imported and checked (a missing module or function is
 * a start-up error, not a surprise at the first connect), and its message
 * schema compiled.
 */
import { readFile } from 'node:fs/promises';
import { ChanError } from "../errors.js";
import { compileMessageSchema } from "./message-schema.js";
export async function loadServices(config) {
    const out = new Map();
    for (const svc of config.services.values()) {
        let validate;
        if (svc.schemaFile) {
            let schema;
            try {
                schema = JSON.parse(await readFile(svc.schemaFile, 'utf8'));
            }
            catch (e) {
                throw new ChanError('badConf', `${config.file ?? 'conf'}:${svc.line}: service ${svc.name}: cannot read message schema ${svc.schemaFile}: ${e.message}`, {
                    cause: e, details: { file: config.file, line: svc.line, service: svc.name },
                });
            }
            validate = compileMessageSchema(schema, `${config.file ?? 'conf'}:${svc.line}`);
        }
        out.set(svc.name, { config: svc, handler: svc.handler, validate });
    }
    return out;
}
//# sourceMappingURL=services.js.map