// Felix's nftables rule hashes and comments (nftables.md §B.5;
// felix/generictables/rules.go RuleHashes, felix/nftables/renderer.go). The
// hash chain is iptables' (felix-format §6) with two differences: each step
// hashes the rule's nft *input* text alone — no `-A <chain> HASH` lead, no
// comments — and the chain name is the layer-prefixed one. The comment is
// `cali:<hash>;` then the rule's comments, escaped, each cut to its share of
// knftables' 128-byte CommentLengthMax, the whole cut to 128.
import { digest } from "../../../rules/digest.js";
import { escapeComment, RULE_HASH_LENGTH, RULE_HASH_PREFIX } from "../names.js";

/** knftables CommentLengthMax. */
export const NFT_COMMENT_LENGTH_MAX = 128;

/** h0 = SHA-224(chain); h_i = SHA-224(h_{i-1} ‖ text_i); each hash the first 16 base64url characters of h_i. */
export function nftRuleHashes(chain: string, texts: readonly string[]): string[] {
  let h = digest("sha224", chain);
  return texts.map((text) => {
    h = digest("sha224", Buffer.concat([h, Buffer.from(text, "utf8")]));
    return h.toString("base64url").slice(0, RULE_HASH_LENGTH);
  });
}

/** Bytes of ASCII text (escapeComment leaves nothing else) cut to `size`, as Go's s[0:size]. */
const cut = (s: string, size: number): string => (s.length > size ? s.slice(0, Math.max(0, size)) : s);

/**
 * nftRenderer.comment: the hash fragment, then each comment escaped
 * (`[^\w @%+=:,./-]` → `_`) and cut to (128 − len(hash fragment)) / n.
 */
export function nftRuleComment(hash: string, comments: readonly string[]): string {
  const head = `${RULE_HASH_PREFIX}${hash};`;
  const per = Math.floor((NFT_COMMENT_LENGTH_MAX - head.length) / Math.max(1, comments.length));
  return cut([head, ...comments.map((c) => cut(escapeComment(c), per))].join(" "), NFT_COMMENT_LENGTH_MAX);
}
