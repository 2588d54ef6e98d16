import type { DropTag, NftChain } from "../ir/types.js";
import type { NfEnv } from "./nfenv.js";
import type { Step, StepObject } from "./trace.js";
import { NftError, nftRuleText, type NftView } from "./nft-expr.js";
export { NftError, nftRuleText, type NftView };
/** `drop`: what a drop/reject stands for (its rule's tag, or the policy table's). */
type R = {
    verdict: "accept" | "drop" | "reject";
    object?: StepObject;
    detail?: string;
    drop?: DropTag;
};
export declare function evalNftChain(t: NftView, chain: NftChain, env: NfEnv, steps: Step[]): R;
