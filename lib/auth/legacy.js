/**
 * The legacy lib_chan login (lib_chan_auth.erl), kept for wire compatibility
 * with Erlang peers:
 *
 *   S: {challenge, C}     C = 25 letters a-z
 *   C: {response, R}      R = lowercase hex md5(C ++ Password), 32 chars
 *   S: ack | authFail
 *
 * Differences from the original, on purpose: the challenge comes from a
 * CSPRNG without modulo bias (the original seeds `random` from the clock:
 * at most 32,767 challenges per second), and the server compares in
 * constant time. Still MD5, still offline-guessable from one recorded login:
 * the secure channel exists for that (docs/protocol.md).
 */
import { ChanError } from "../errors.js";
import { constantTimeEqual, toHex } from "../wire/bytes.js";
import { md5 } from "./md5.js";
export const CHALLENGE_LENGTH = 25;
export const RESPONSE_LENGTH = 32;
const ALPHABET = 26;
/** Largest multiple of 26 that fits in a byte: bytes at or above it are redrawn. */
const REJECT_FROM = 256 - (256 % ALPHABET); // 234
/** 25 letters a-z, uniformly distributed (rejection sampling over `randomBytes`). */
export function makeChallenge(randomBytes) {
    let out = '';
    while (out.length < CHALLENGE_LENGTH) {
        const buf = randomBytes(CHALLENGE_LENGTH * 2);
        for (let i = 0; i < buf.length && out.length < CHALLENGE_LENGTH; i++) {
            if (buf[i] < REJECT_FROM)
                out += String.fromCharCode(0x61 + (buf[i] % ALPHABET));
        }
    }
    return out;
}
/**
 * The Latin-1 bytes of `s`, as Erlang's md5 sees a charlist. A character
 * above 255 is badArgument (Erlang raises badarg in the caller of connect).
 */
export function latin1Bytes(s, what = 'string') {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 255) {
            throw new ChanError('badArgument', `${what} has a character above 255 at index ${i}; the legacy login hashes Latin-1 only`, {
                details: { offset: i },
            });
        }
        out[i] = c;
    }
    return out;
}
/** lowercase hex md5(challenge ++ password): the legacy `{response, R}` string. */
export function legacyResponse(challenge, password) {
    const c = latin1Bytes(challenge, 'challenge');
    const p = typeof password === 'string' ? latin1Bytes(password, 'password') : password;
    const buf = new Uint8Array(c.length + p.length);
    buf.set(c);
    buf.set(p, c.length);
    const digest = toHex(md5(buf));
    buf.fill(0);
    if (typeof password === 'string')
        p.fill(0);
    return digest;
}
/**
 * Check a client's response in constant time. Exactly the original's rule:
 * only the 32-char lowercase hex digest passes (uppercase is authFail).
 */
export function checkLegacyResponse(challenge, password, response) {
    const want = new Uint8Array(RESPONSE_LENGTH);
    const expected = legacyResponse(challenge, password);
    for (let i = 0; i < RESPONSE_LENGTH; i++)
        want[i] = expected.charCodeAt(i);
    const got = new Uint8Array(RESPONSE_LENGTH);
    // A response of another length or with wide characters must still fail, without an early exit on content.
    let lengthOk = response.length === RESPONSE_LENGTH ? 1 : 0;
    for (let i = 0; i < RESPONSE_LENGTH; i++) {
        const c = i < response.length ? response.charCodeAt(i) : 0;
        if (c > 255)
            lengthOk = 0;
        got[i] = c & 0xff;
    }
    return constantTimeEqual(want, got) && lengthOk === 1;
}
//# sourceMappingURL=legacy.js.map