// The tree's state, checked here: the newest head's signature (WebCrypto, /keys/audit.jwks) and its
// consistency with the last head this browser saw (kept in localStorage: heads are public, no secret).

import { el, facts, fill } from "/shared/dom.js";
import { t } from "/shared/i18n.js";
import { checkConsistency, verifyHead } from "/shared/proofs.js";
import { chinaTime } from "./time.js";

const KEY = "credit-gateway.console.head";

export function seenHead() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY));
    return value && typeof value.rootHash === "string" ? value : null;
  } catch {
    return null;
  }
}

export function forgetHead() {
  localStorage.removeItem(KEY);
}

function keep(head) {
  const { treeSize, rootHash, timestamp, keyId, signature } = head;
  localStorage.setItem(KEY, JSON.stringify({ treeSize, rootHash, timestamp, keyId, signature, seenAt: new Date().toISOString() }));
}

/**
 * Check `verification` (auditVerification's answer): {head, signature: {ok, reason}, consistency:
 * {status, reason, size}}. A head is kept as "seen" only when its signature verified and it extends the
 * head seen before; a failed check keeps the old one, so the failure shows again on the next visit.
 */
export async function checkTree(verification, jwks, fetchProof) {
  const head = verification.latestHead;
  if (!head) return { head: null, signature: null, consistency: { status: "none" } };
  const signature = await verifyHead(head, jwks);
  const seen = seenHead();
  if (!signature.ok) return { head, signature, consistency: { status: "unchecked", size: seen?.treeSize } };
  if (!seen) {
    keep(head);
    return { head, signature, consistency: { status: "first" } };
  }
  const result = await checkConsistency(seen, head, fetchProof);
  if (!result.ok) return { head, signature, seen, consistency: { status: "failed", reason: result.reason, size: seen.treeSize } };
  const same = BigInt(seen.treeSize) === BigInt(head.treeSize);
  if (!same) keep(head);
  return { head, signature, seen, consistency: { status: same ? "same" : "verified", size: seen.treeSize } };
}

function yesNo(value) {
  return value === null || value === undefined ? t("unknown") : value ? t("yes") : t("no");
}

export function renderTree(body, verification, checked) {
  const { head, signature, consistency } = checked;
  const headText = !head ? t("noHead") : signature.ok ? t("headValid", { kid: head.keyId, size: head.treeSize }) : t("headInvalid", { reason: signature.reason });
  const kind = !head ? "none" : signature.ok ? "valid" : "invalid";
  const consistencyText = {
    none: t("noHead"),
    first: t("consistencyFirst"),
    same: t("consistencySame", { size: consistency.size }),
    verified: t("consistencyVerified", { size: consistency.size }),
    failed: t("consistencyFailed", { size: consistency.size, reason: consistency.reason }),
    unchecked: t("consistencyUnchecked"),
  }[consistency.status];
  const badge = { valid: "good", invalid: "bad", none: "warn" }[kind];
  const consistencyBadge = { verified: "good", same: "good", first: "warn", none: "warn", failed: "bad", unchecked: "bad" }[consistency.status];
  const seen = seenHead();
  fill(
    body,
    el("p", { id: "head-status", class: `badge ${badge}`, "data-head": kind }, headText),
    head
      ? facts([
          [t("treeSize"), String(verification.treeSize)],
          [t("headSize"), String(head.treeSize)],
          [t("rootHash"), el("span", { class: "mono" }, head.rootHash)],
          [t("headTime"), chinaTime(head.timestamp)],
          [t("keyId"), el("span", { class: "mono" }, head.keyId)],
          [t("serverSays"), t("serverCheck", { sig: yesNo(verification.headSignatureValid), tree: yesNo(verification.headMatchesTree) })],
        ])
      : null,
    el("h3", {}, t("consistencyTitle")),
    el("p", { id: "consistency-status", class: `badge ${consistencyBadge}`, "data-consistency": consistency.status }, consistencyText),
    seen
      ? el(
          "div",
          {},
          el("h3", {}, t("seenHead")),
          facts([
            [t("headSize"), String(seen.treeSize)],
            [t("rootHash"), el("span", { class: "mono" }, seen.rootHash)],
            [t("seenAt"), chinaTime(seen.seenAt)],
          ]),
        )
      : null,
  );
}
