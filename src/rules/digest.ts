// The hashes the renderers and the backends' names are made of: one-shot
// digests as raw bytes or base64url text (Go's RawURLEncoding: no padding).
import * as crypto from "node:crypto";

export type Algorithm = "sha224" | "sha256" | "sha1" | "sha3-224";

// crypto.hash (Node ≥ 20.12) is the one-shot form: about 1.7× faster than a
// Hash object for the short inputs hashed here, once per rule of every chain.
type OneShot = ((alg: string, data: Buffer | string, enc: "buffer") => Buffer) & ((alg: string, data: Buffer | string, enc: "base64url") => string);
const oneShot = (crypto as { hash?: OneShot }).hash;

/** RFC 4648 §5 base64url without `=` padding, as Go's RawURLEncoding. */
export function base64UrlNoPad(bytes: Buffer): string {
  return bytes.toString("base64url");
}

export function digest(algorithm: Algorithm, data: Buffer | string): Buffer {
  return oneShot ? oneShot(algorithm, data, "buffer") : crypto.createHash(algorithm).update(data).digest();
}

// The digest as base64url text: on Node 20 crypto.hash returns a string about
// 2.4× faster than a Buffer, and the rule-hash chain needs the text anyway.
export function digest64(algorithm: Algorithm, data: Buffer | string): string {
  return oneShot ? oneShot(algorithm, data, "base64url") : base64UrlNoPad(crypto.createHash(algorithm).update(data).digest());
}
