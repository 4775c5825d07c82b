// Checking "who looked at me" in the browser, trusting neither the page's server nor its word:
// RFC 9162 leaf and node hashes (SHA-256) and inclusion proofs (2.1.3.2), and the signed tree head's
// Ed25519 signature over RFC 6962's TreeHeadSignature (3.5), with WebCrypto alone (docs/audit.md).

const subtle = globalThis.crypto.subtle;

export function hexToBytes(hex) {
  if (typeof hex !== "string" || !/^([0-9a-f]{2})*$/i.test(hex)) throw new Error("not hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64ToBytes(text, url = false) {
  let value = text;
  if (url) value = value.replace(/-/g, "+").replace(/_/g, "/");
  value += "=".repeat((4 - (value.length % 4)) % 4);
  return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
}

async function sha256(...parts) {
  const size = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return new Uint8Array(await subtle.digest("SHA-256", joined));
}

/** SHA-256(0x00 || event bytes): the leaf hash of an event's canonical UTF-8 bytes. */
export function leafHash(eventText) {
  return sha256(Uint8Array.of(0), new TextEncoder().encode(eventText));
}

export function nodeHash(left, right) {
  return sha256(Uint8Array.of(1), left, right);
}

function equal(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** RFC 9162 2.1.3.2: the root the audit path leads to from `leaf` at `index` in a tree of `size`. */
export async function rootFromPath(index, size, leaf, path) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn > sn) return null;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return null;
    if (fn % 2n === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while (fn !== 0n && fn % 2n === 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

/** The 50 signed bytes: version 0, type 1 (tree_hash), timestamp ms and tree size (big-endian), root. */
export function headMessage(head) {
  const message = new Uint8Array(50);
  const view = new DataView(message.buffer);
  view.setUint8(0, 0);
  view.setUint8(1, 1);
  view.setBigUint64(2, BigInt(head.timestamp));
  view.setBigUint64(10, BigInt(head.treeSize));
  message.set(hexToBytes(head.rootHash), 18);
  return message;
}

/** {ok, reason}: does the head's signature verify with the audit key it names in `jwks`? */
export async function verifyHead(head, jwks) {
  if (!head) return { ok: false, reason: "NO_HEAD" };
  const jwk = (jwks?.keys || []).find((k) => k.kid === head.keyId && k.kty === "OKP" && k.crv === "Ed25519");
  if (!jwk) return { ok: false, reason: "UNKNOWN_KEY" };
  try {
    const key = await subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
    const signature = base64ToBytes(head.signature);
    const ok = await subtle.verify({ name: "Ed25519" }, key, signature, headMessage(head));
    return ok ? { ok: true } : { ok: false, reason: "BAD_SIGNATURE" };
  } catch {
    return { ok: false, reason: "BAD_SIGNATURE" };
  }
}

/**
 * Check one history entry against a head whose signature was checked: "verified", "pending" (no head
 * covers it yet) or "failed", with the reason. When the event's bytes are given, they must hash to the
 * leaf hash and say what the entry says.
 */
export async function verifyEntry(entry, head) {
  if (entry.proofPending || !entry.proof) return { status: "pending" };
  const proof = entry.proof;
  try {
    if (!head) return { status: "failed", reason: "NO_HEAD" };
    if (proof.leafHash !== entry.leafHash || BigInt(proof.leafIndex) !== BigInt(entry.seq)) {
      return { status: "failed", reason: "PROOF_MISMATCH" };
    }
    if (BigInt(proof.treeSize) !== BigInt(head.treeSize)) return { status: "failed", reason: "WRONG_TREE" };
    if (entry.event !== null && entry.event !== undefined) {
      if (bytesToHex(await leafHash(entry.event)) !== entry.leafHash) return { status: "failed", reason: "LEAF_MISMATCH" };
      const event = JSON.parse(entry.event);
      const same =
        BigInt(event.seq) === BigInt(entry.seq) &&
        (event.organization ?? null) === (entry.organization ?? null) &&
        (event.purpose ?? null) === (entry.purpose ?? null) &&
        (event.consent_id ?? null) === (entry.consentId ?? null);
      if (!same) return { status: "failed", reason: "EVENT_MISMATCH" };
    }
    const root = await rootFromPath(proof.leafIndex, proof.treeSize, hexToBytes(entry.leafHash), proof.path.map(hexToBytes));
    if (root === null || !equal(root, hexToBytes(head.rootHash))) return { status: "failed", reason: "ROOT_MISMATCH" };
    return { status: "verified" };
  } catch {
    return { status: "failed", reason: "MALFORMED_PROOF" };
  }
}

/**
 * RFC 9162 2.1.4.2: does `proof` show that the tree of `first` leaves with root `firstRoot` is a prefix
 * of the tree of `second` leaves with root `secondRoot`? Sizes are numbers, strings or BigInts; roots
 * and proof nodes are bytes.
 */
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  const m = BigInt(first);
  const n = BigInt(second);
  if (m < 0n || m > n) return false;
  if (m === n) return proof.length === 0 && equal(firstRoot, secondRoot);
  if (m === 0n) return proof.length === 0; // every tree extends the empty one
  if (proof.length === 0 || proof.some((p) => p.length !== 32)) return false;
  const path = [...proof];
  if ((m & (m - 1n)) === 0n) path.unshift(firstRoot); // a power of two: the old root is a node of the path
  let fn = m - 1n;
  let sn = n - 1n;
  while (fn & 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if (fn & 1n || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!(fn & 1n)) {
        while (fn !== 0n && !(fn & 1n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(fr, firstRoot) && equal(sr, secondRoot);
}

/**
 * Is `head` (signature already checked) consistent with `seen`, a head this browser checked before?
 * `fetchProof(first, second)` returns the proof's path as hex. {ok, reason}: reasons LOG_SHRANK (the
 * new head is smaller), FORKED (same size, other root), PROOF_MISMATCH (the proof does not join them),
 * MALFORMED_PROOF.
 */
export async function checkConsistency(seen, head, fetchProof) {
  const first = BigInt(seen.treeSize);
  const second = BigInt(head.treeSize);
  if (second < first) return { ok: false, reason: "LOG_SHRANK" };
  if (second === first) return seen.rootHash === head.rootHash ? { ok: true } : { ok: false, reason: "FORKED" };
  let path;
  try {
    path = (await fetchProof(first, second)).map(hexToBytes);
  } catch (error) {
    if (error?.code) throw error;
    return { ok: false, reason: "MALFORMED_PROOF" };
  }
  const ok = await verifyConsistency(first, second, hexToBytes(seen.rootHash), hexToBytes(head.rootHash), path);
  return ok ? { ok: true } : { ok: false, reason: "PROOF_MISMATCH" };
}
