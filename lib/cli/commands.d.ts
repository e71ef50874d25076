import { type Command } from './command.ts';
export declare const COMMANDS: Record<string, Command>;
//# sourceMappingURL=commands.d.ts.map