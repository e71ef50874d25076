/**
 * Crypto primitives: tweetnacl (pure JS) against native code (sodium-native,
 * node:crypto), per primitive. Run: node --import tsx test/bench/crypto.ts
 * Prints one line per (primitive, implementation): the median of 3 runs.
 * Never part of npm test; the choice it informs is in src/auth/crypto-node.ts.
 */
import { tweetnaclProvider, type CryptoProvider } from '../../src/auth/crypto.ts';
import { nodeCryptoOnlyProvider, primitives, sodiumNative } from '../../src/auth/crypto-node.ts';
import { md5 } from '../../src/auth/md5.ts';
import { createHash } from 'node:crypto';
import { clientAuth, clientOnReply, clientOnResult, clientStart, serverOnAuth, serverOnHello, serverResult } from '../../src/auth/secure/handshake.ts';
import { RecordOpener, RecordSealer } from '../../src/auth/secure/record.ts';
import { nodeProvider } from '../../src/auth/crypto-node.ts';

const RUN_MS = Number(process.env.BENCH_MS ?? 700);

function measure(fn: () => void): number {
  // warm-up, then count calls in RUN_MS, three times; report the median rate per second
  for (let i = 0; i < 50; i++) fn();
  const rates: number[] = [];
  for (let r = 0; r < 3; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < RUN_MS) {
      for (let i = 0; i < 16; i++) fn();
      n += 16;
      t = performance.now();
    }
    rates.push((n * 1000) / (t - t0));
  }
  rates.sort((a, b) => a - b);
  return rates[1];
}

const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
const rows: [string, string, string][] = [];
function row(what: string, impl: string, value: string): void {
  rows.push([what, impl, value]);
  console.log(`${what.padEnd(26)} ${impl.padEnd(14)} ${value}`);
}

const sk = tweetnaclProvider.randomBytes(32);
const pk = tweetnaclProvider.x25519Keypair(tweetnaclProvider.randomBytes(32)).publicKey;
const key = tweetnaclProvider.randomBytes(32);
const nonce = tweetnaclProvider.randomBytes(24);
const ed = tweetnaclProvider.ed25519Keypair(tweetnaclProvider.randomBytes(32));
const msg = tweetnaclProvider.randomBytes(64);
const sig = tweetnaclProvider.ed25519Sign(msg, ed.secretKey);

interface Impl {
  name: string;
  x25519?: CryptoProvider['x25519'];
  x25519Keypair?: CryptoProvider['x25519Keypair'];
  sealInto?: CryptoProvider['secretboxSealInto'];
  openInto?: CryptoProvider['secretboxOpenInto'];
  sign?: CryptoProvider['ed25519Sign'];
  verify?: CryptoProvider['ed25519Verify'];
  sha512?: CryptoProvider['sha512'];
}
const impls: Impl[] = [
  {
    name: 'tweetnacl',
    x25519: tweetnaclProvider.x25519,
    x25519Keypair: tweetnaclProvider.x25519Keypair,
    sealInto: tweetnaclProvider.secretboxSealInto,
    openInto: tweetnaclProvider.secretboxOpenInto,
    sign: tweetnaclProvider.ed25519Sign,
    verify: tweetnaclProvider.ed25519Verify,
    sha512: tweetnaclProvider.sha512,
  },
  {
    name: 'node:crypto',
    x25519: nodeCryptoOnlyProvider.x25519,
    x25519Keypair: primitives.x25519Keypair.node,
    sign: primitives.ed25519Sign.node,
    verify: primitives.ed25519Verify.node,
    sha512: primitives.sha512.node,
  },
];
if (sodiumNative()) {
  impls.push({
    name: 'sodium-native',
    x25519: primitives.x25519.sodium,
    x25519Keypair: primitives.x25519Keypair.sodium,
    sealInto: primitives.secretboxSealInto.sodium,
    openInto: primitives.secretboxOpenInto.sodium,
    sign: primitives.ed25519Sign.sodium,
    verify: primitives.ed25519Verify.sodium,
    sha512: primitives.sha512.sodium,
  });
} else {
  console.log('# sodium-native did not load: its rows are missing');
}

console.log(`# node ${process.version}, ${process.arch}, median of 3 x ${RUN_MS} ms`);
for (const im of impls) if (im.x25519) row('X25519 shared secret', im.name, `${fmt(measure(() => im.x25519!(sk, pk)))} ops/s`);
for (const im of impls) if (im.x25519Keypair) row('X25519 keypair (base)', im.name, `${fmt(measure(() => im.x25519Keypair!(sk)))} ops/s`);
for (const size of [100, 64 * 1024]) {
  const plain = tweetnaclProvider.randomBytes(size);
  const box = new Uint8Array(size + 16);
  const back = new Uint8Array(size);
  for (const im of impls) {
    if (!im.sealInto || !im.openInto) continue;
    const seal = measure(() => im.sealInto!(box, plain, nonce, key));
    im.sealInto(box, plain, nonce, key);
    const open = measure(() => {
      if (!im.openInto!(back, box, nonce, key)) throw new Error('open failed');
    });
    const mb = (rate: number) => `${((rate * size) / 1e6).toFixed(1)} MB/s (${fmt(rate)}/s)`;
    row(`secretbox seal ${size === 100 ? '100 B' : '64 KiB'}`, im.name, mb(seal));
    row(`secretbox open ${size === 100 ? '100 B' : '64 KiB'}`, im.name, mb(open));
  }
}
for (const im of impls) if (im.sign) row('Ed25519 sign', im.name, `${fmt(measure(() => im.sign!(msg, ed.secretKey)))} ops/s`);
for (const im of impls) {
  if (im.verify) {
    row(
      'Ed25519 verify',
      im.name,
      `${fmt(
        measure(() => {
          if (!im.verify!(msg, sig, ed.publicKey)) throw new Error('verify failed');
        }),
      )} ops/s`,
    );
  }
}
const h128 = tweetnaclProvider.randomBytes(128);
for (const im of impls) if (im.sha512) row('SHA-512 128 B', im.name, `${fmt(measure(() => im.sha512!(h128)))} ops/s`);

const k64 = tweetnaclProvider.randomBytes(64 * 1024);
row('MD5 64 KiB (legacy login)', 'src/auth/md5', `${((measure(() => md5(k64)) * k64.length) / 1e6).toFixed(1)} MB/s`);
row('MD5 64 KiB (legacy login)', 'node:crypto', `${((measure(() => createHash('md5').update(k64).digest()) * k64.length) / 1e6).toFixed(1)} MB/s`);

// Whole handshakes (both sides, in memory, method password) and the record layer.
const identity = tweetnaclProvider.x25519Keypair(tweetnaclProvider.randomBytes(32));
const argsC = Uint8Array.of(131, 106);
function handshake(provider: CryptoProvider): void {
  const c1 = clientStart({ provider });
  const s1 = serverOnHello({ identity, provider }, c1.out);
  const c2 = clientOnReply(c1.state, s1.out);
  const c3 = clientAuth(c2.state, { service: 'nameServer', method: 'password', password: 'ABXy45', argsC });
  const s2 = serverOnAuth(s1.state!, c3.out);
  if (!clientOnResult(c3.state, serverResult(s2.state, 'ack').out).session) throw new Error('no session');
}
for (const p of [tweetnaclProvider, nodeCryptoOnlyProvider, nodeProvider]) {
  row('handshake (both sides)', p.name, `${fmt(measure(() => handshake(p)))} /s`);
}
for (const size of [100, 64 * 1024]) {
  for (const p of [tweetnaclProvider, nodeProvider]) {
    const sealer = new RecordSealer(key, { provider: p, side: 'client' });
    const opener = new RecordOpener(key, { provider: p, side: 'server' });
    const plain = tweetnaclProvider.randomBytes(size);
    const rate = measure(() => opener.open(sealer.seal(plain)));
    row(`record seal+open ${size === 100 ? '100 B' : '64 KiB'}`, p.name, `${((rate * size) / 1e6).toFixed(1)} MB/s (${fmt(rate)}/s)`);
  }
}

if (process.env.BENCH_JSON) console.log(JSON.stringify(rows));
