import { ChanError } from '../errors.ts';
import type { ServerConfig } from '../conf/schema.ts';
import { type CryptoProvider, type KeyPair } from '../auth/crypto.ts';
import { type ServerDeps } from '../auth/secure/handshake.ts';
import { type Session, type SessionContext } from './session.ts';
import { ReadyPool } from '../auth/ready-pool-node.ts';
export interface SecureServerContext {
    identity: KeyPair;
    provider: CryptoProvider;
    /** `lcsk1:...`, what clients pin. */
    publicKeyText: string;
    /** True when the key file was created by this start. */
    generated: boolean;
    /** Server ephemeral key pairs made while idle (one X25519 off each login's critical path). */
    ephemerals: ReadyPool<KeyPair>;
    /** What serverOnHello needs, made once. */
    helloDeps: ServerDeps;
}
/** Load the identity key named by the conf (creating it, mode 0600, when missing). */
export declare function loadSecureContext(config: ServerConfig): Promise<SecureServerContext | undefined>;
/** Drive the secure handshake; `setFeed` routes the session's next frames here. */
export declare function runSecureHandshake(session: Session, ctx: SessionContext, sctx: SecureServerContext, hello: Uint8Array, setFeed: (feed: (frame: Uint8Array | ChanError) => void) => void): void;
//# sourceMappingURL=secure-session.d.ts.map