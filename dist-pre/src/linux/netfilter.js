// The netfilter text renderers the kernel backend loads per node: the very text
// `podnet rules NODE` prints (src/ir/render-iptables.ts → iptables-restore input,
// src/ir/render-nft.ts → nft -f input).
import { renderIptables } from "../ir/render-iptables.js";
import { renderNft } from "../ir/render-nft.js";
export const netfilterRenderers = { iptables: renderIptables, nft: renderNft };
/** Kept for callers written when the renderers could be missing: they are always there now. */
export async function loadNetfilterRenderers() {
    return { renderers: netfilterRenderers, missing: [] };
}
//# sourceMappingURL=netfilter.js.map