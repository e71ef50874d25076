import type { Term } from '../wire/etf/term.ts';
/** Build a term from Erlang syntax with interpolated JS terms: exactly one term, trailing `.` optional. */
export declare function erl(strings: TemplateStringsArray, ...values: Term[]): Term;
//# sourceMappingURL=erl-template.d.ts.map