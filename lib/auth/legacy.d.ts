export declare const CHALLENGE_LENGTH = 25;
export declare const RESPONSE_LENGTH = 32;
/** 25 letters a-z, uniformly distributed (rejection sampling over `randomBytes`). */
export declare function makeChallenge(randomBytes: (n: number) => Uint8Array): string;
/**
 * The Latin-1 bytes of `s`, as Erlang's md5 sees a charlist. A character
 * above 255 is badArgument (Erlang raises badarg in the caller of connect).
 */
export declare function latin1Bytes(s: string, what?: string): Uint8Array;
/** lowercase hex md5(challenge ++ password): the legacy `{response, R}` string. */
export declare function legacyResponse(challenge: string, password: string | Uint8Array): string;
/**
 * Check a client's response in constant time. Exactly the original's rule:
 * only the 32-char lowercase hex digest passes (uppercase is authFail).
 */
export declare function checkLegacyResponse(challenge: string, password: string | Uint8Array, response: string): boolean;
//# sourceMappingURL=legacy.d.ts.map