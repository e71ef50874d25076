import { type Command } from './command.ts';
export declare const keygenCommand: Command;
export declare const passwdCommand: Command;
export declare const statusCommand: Command;
//# sourceMappingURL=key-commands.d.ts.map