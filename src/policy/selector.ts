// Label selectors live in src/spec/selector.ts (control, spec and views use them too);
// re-exported here for the policy-facing callers (cli/cmd-reach.ts).
export { formatLabelSelector, matchSelector, parseSelector, requirementMatches } from "../spec/selector.js";
