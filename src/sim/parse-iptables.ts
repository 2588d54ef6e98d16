// Parse `iptables-save` text into an IptLayer (one layer holding every table), so that a
// real node's rules can be traced (`podnet trace --rules-from FILE --node NAME`).
// Every rule is compiled by the interpreter right away: an unsupported match or target,
// or a jump to a chain that is not declared, is an error naming its line.

import type { DropTag, IptChain, IptLayer, IptOpt, IptRule, IptTableName } from "../ir/types.js";
import { compileRule, isBuiltinTarget, RuleError } from "./iptables.js";

const NO_ENDPOINTS: DropTag = Object.freeze({ reason: "SERVICE_BACKEND_NOT_FOUND" });
const NO_LOCAL_ENDPOINTS: DropTag = Object.freeze({ reason: "SERVICE_BACKEND_NOT_FOUND", local: true });

/**
 * A dump carries no tags: kube-proxy's rules for a Service without endpoints are known by
 * its conventions, a REJECT commented "NS/SVC:PORT has no endpoints" and a DROP commented
 * "… has no local endpoints" (kubernetes/kubernetes pkg/proxy/iptables/proxier.go).
 */
function kubeProxyDrop(rule: IptRule): DropTag | undefined {
  if (rule.target !== "REJECT" && rule.target !== "DROP") return undefined;
  for (const o of rule.opts) {
    if (o.opt !== "--comment" || o.neg) continue;
    const m = / has no (local )?endpoints$/.exec(o.args.join(" "));
    if (m) return m[1] ? NO_LOCAL_ENDPOINTS : NO_ENDPOINTS;
  }
  return undefined;
}

export class IptablesParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    msg: string,
    readonly text?: string,
  ) {
    super(`${file}:${line}: ${msg}${text !== undefined ? `\n  ${text}` : ""}`);
    this.name = "IptablesParseError";
  }
}

const TABLES = new Set(["raw", "mangle", "nat", "filter", "security"]);
const BUILTIN: Record<string, string[]> = {
  raw: ["PREROUTING", "OUTPUT"],
  mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  filter: ["INPUT", "FORWARD", "OUTPUT"],
  security: ["INPUT", "FORWARD", "OUTPUT"],
};

/** Shell-like word splitting as iptables-restore does it (double quotes, backslash escapes). */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inQ = false;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inQ) {
      if (c === "\\" && (s[i + 1] === '"' || s[i + 1] === "\\")) cur += s[++i];
      else if (c === '"') inQ = false;
      else cur += c;
    } else if (c === '"') {
      inQ = true;
      has = true;
    } else if (c === " " || c === "\t") {
      if (cur || has) out.push(cur);
      cur = "";
      has = false;
    } else if (c === "\\" && i + 1 < s.length) cur += s[++i];
    else cur += c;
  }
  if (inQ) throw new Error("unterminated quote");
  if (cur || has) out.push(cur);
  return out;
}

const isOpt = (w: string) => /^-{1,2}[A-Za-z]/.test(w);

export function parseIptablesSave(text: string, file = "<rules>"): IptLayer {
  const tables: IptLayer["tables"] = {};
  let table: Record<string, IptChain> | null = null;
  let tableName = "";
  const pending: { table: string; chain: string; rule: IptRule; text: string }[] = [];
  const lines = text.split(/\r?\n/);
  for (let ln = 0; ln < lines.length; ln++) {
    const lineNo = ln + 1;
    let line = lines[ln].trim();
    if (!line || line.startsWith("#")) continue;
    if (line.startsWith("*")) {
      tableName = line.slice(1).trim();
      if (!TABLES.has(tableName)) throw new IptablesParseError(file, lineNo, `unknown table "${tableName}"`, line);
      table = tables[tableName as IptTableName] = {};
      continue;
    }
    if (line === "COMMIT") {
      table = null;
      continue;
    }
    if (!table) throw new IptablesParseError(file, lineNo, "rule outside a table (missing *table line)", line);
    if (line.startsWith(":")) {
      const m = /^:(\S+)\s+(\S+)/.exec(line);
      if (!m) throw new IptablesParseError(file, lineNo, "invalid chain line", line);
      const [, name, pol] = m;
      if (pol !== "-" && pol !== "ACCEPT" && pol !== "DROP")
        throw new IptablesParseError(file, lineNo, `invalid policy "${pol}"`, line);
      table[name] = { name, ...(pol === "-" ? {} : { policy: pol as "ACCEPT" | "DROP" }), rules: [] };
      continue;
    }
    line = line.replace(/^\[\d+:\d+\]\s+/, "");
    let words: string[];
    try {
      words = splitWords(line);
    } catch (e) {
      throw new IptablesParseError(file, lineNo, (e as Error).message, line);
    }
    if (words[0] !== "-A" && words[0] !== "--append")
      throw new IptablesParseError(
        file,
        lineNo,
        `unsupported command "${words[0]}" (iptables-save prints -A rules)`,
        line,
      );
    const chain = words[1];
    if (!chain) throw new IptablesParseError(file, lineNo, "-A without a chain", line);
    const rule: IptRule = { opts: [], line: lineNo };
    let i = 2;
    let neg = false;
    let inTarget = false;
    while (i < words.length) {
      const w = words[i++];
      if (w === "!") {
        neg = true;
        continue;
      }
      if (!isOpt(w)) throw new IptablesParseError(file, lineNo, `unexpected word "${w}"`, line);
      if (!inTarget && (w === "-j" || w === "--jump" || w === "-g" || w === "--goto")) {
        rule.target = words[i++];
        if (!rule.target) throw new IptablesParseError(file, lineNo, `${w} without a target`, line);
        if (w === "-g" || w === "--goto") rule.goto = true;
        inTarget = true;
        rule.targetOpts = [];
        continue;
      }
      const args: string[] = [];
      while (i < words.length && !isOpt(words[i]) && words[i] !== "!") args.push(words[i++]);
      // Old style "--mark ! 0x1" puts the ! after the option.
      if (i < words.length && words[i] === "!" && args.length === 0 && i + 1 < words.length && !isOpt(words[i + 1])) {
        i++;
        neg = true;
        args.push(words[i++]);
      }
      const opt: IptOpt = { opt: w, args, ...(neg ? { neg: true } : {}) };
      neg = false;
      if (inTarget) rule.targetOpts!.push(opt);
      else rule.opts.push(opt);
    }
    if (rule.targetOpts && rule.targetOpts.length === 0) delete rule.targetOpts;
    const drop = kubeProxyDrop(rule);
    if (drop) rule.drop = drop;
    const c = table[chain];
    if (!c) throw new IptablesParseError(file, lineNo, `chain "${chain}" is not declared in table ${tableName}`, line);
    c.rules.push(rule);
    pending.push({ table: tableName, chain, rule, text: line });
  }
  if (table) throw new IptablesParseError(file, lines.length, `table ${tableName} has no COMMIT`);
  for (const p of pending) {
    try {
      compileRule(p.chain, p.rule);
    } catch (e) {
      if (e instanceof RuleError)
        throw new IptablesParseError(file, p.rule.line!, e.message.replace(/^line \d+: /, ""), p.text);
      throw e;
    }
    const t = p.rule.target;
    if ((t && !/^[A-Z]+$/.test(t)) || (t && !isBuiltinTarget(t))) {
      const chains = tables[p.table as IptTableName]!;
      if (!chains[t!] && !BUILTIN[p.table]?.includes(t!))
        throw new IptablesParseError(
          file,
          p.rule.line!,
          `jump to chain "${t}" which is not declared in table ${p.table}`,
          p.text,
        );
    }
  }
  for (const [name, chains] of Object.entries(tables)) refuseLoops(file, name, chains!, pending);
  return { owner: `iptables-save ${file}`, tables };
}

/**
 * A jump, reachable from a built-in chain, that leads back to a chain on its way: the kernel
 * refuses the table (linux net/ipv4/netfilter/ip_tables.c mark_source_chains, from each hook's
 * entry: "iptables-restore: line N failed", ELOOP), so the file is refused at the rule that
 * closes the loop. Iterative, so a chain of 100,000 jumps is no deep stack.
 */
function refuseLoops(
  file: string,
  table: string,
  chains: Record<string, IptChain>,
  pending: { table: string; rule: IptRule; text: string }[],
): void {
  const text = new Map(pending.filter((p) => p.table === table).map((p) => [p.rule, p.text]));
  const jumps = (c: string) =>
    (chains[c]?.rules ?? []).filter((r) => r.target !== undefined && Object.hasOwn(chains, r.target));
  // 1: on the current path, 2: done (no loop below).
  const state = new Map<string, 1 | 2>();
  for (const start of BUILTIN[table] ?? []) {
    if (state.has(start) || !Object.hasOwn(chains, start)) continue;
    const stack: { chain: string; next: IptRule[]; at: number }[] = [{ chain: start, next: jumps(start), at: 0 }];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.at === top.next.length) {
        state.set(top.chain, 2);
        stack.pop();
        continue;
      }
      const rule = top.next[top.at++];
      const to = rule.target!;
      const seen = state.get(to);
      if (seen === 1) {
        const path = [...stack.slice(stack.findIndex((f) => f.chain === to)).map((f) => f.chain), to];
        throw new IptablesParseError(
          file,
          rule.line!,
          `jump to chain "${to}" makes a loop in table ${table} (${path.join(" -> ")}): the kernel refuses it (ELOOP)`,
          text.get(rule),
        );
      }
      if (seen === undefined) {
        state.set(to, 1);
        stack.push({ chain: to, next: jumps(to), at: 0 });
      }
    }
  }
}
