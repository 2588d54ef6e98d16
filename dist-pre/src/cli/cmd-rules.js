// `podnet rules NODE [--mode iptables|nftables|ipvs|none]`: the node's whole netfilter
// ruleset (kube-proxy's shared and per-node layers, then the CNI flavor's) as
// `iptables-save` or `nft list ruleset` would print it after kube-proxy ran. The text
// loads with `iptables-restore` / `nft -f`. `--ipvs` adds the IPVS table (ipvs mode) in
// `ipvsadm -Ln` form. Only the named node is built.
import { buildContext, buildNodeIR } from "../dataplane/build.js";
import { renderIptablesBytes } from "../ir/render-iptables.js";
import { renderNftBytes } from "../ir/render-nft.js";
import { addClusterOptions, loadFromFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";
import { findNode } from "./resolve-target.js";
const MODES = ["iptables", "nftables", "ipvs", "none"];
/** `ipvsadm -Ln`: virtual servers with their real servers (Masq forwarding). */
export function renderIpvsadm(vss) {
    const lines = [
        "IP Virtual Server version 1.2.1 (size=4096)",
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
    ];
    for (const v of vss) {
        const flags = v.persistenceTimeout ? ` persistent ${v.persistenceTimeout}` : "";
        lines.push(`${v.protocol.padEnd(4)} ${v.address}:${v.port} ${v.scheduler}${flags}`);
        for (const r of v.reals)
            lines.push(`  -> ${(r.address + ":" + r.port).padEnd(28)} Masq    ${String(r.weight).padEnd(6)} 0          0`);
    }
    return lines.join("\n") + "\n";
}
/** Writes the parts to stdout, large byte arrays in 4 MB pieces (views, not copies). */
function writeOut(parts) {
    const PIECE = 4 << 20;
    for (const p of parts) {
        if (typeof p === "string") {
            if (p)
                process.stdout.write(p);
            continue;
        }
        for (let off = 0; off < p.length; off += PIECE)
            process.stdout.write(Buffer.from(p.buffer, p.byteOffset + off, Math.min(PIECE, p.length - off)));
    }
}
export function register(program) {
    const cmd = program
        .command("rules <node>")
        .description("a node's netfilter rules (kube-proxy + CNI), as iptables-save or nft list ruleset prints them");
    addClusterOptions(cmd);
    cmd
        .option("--mode <mode>", `kube-proxy mode: ${MODES.join("|")} (default: the config's kubeProxyMode)`)
        .option("--ipvs", "ipvs mode: also print the IPVS table as `ipvsadm -Ln` shows it")
        .action(async (nodeRef, o) => {
        if (o.mode !== undefined && !MODES.includes(o.mode))
            throw new UsageError(`--mode must be one of ${MODES.join("|")}: "${o.mode}"`);
        const { state } = await loadFromFlags(o);
        const node = findNode(state, nodeRef.startsWith("node/") ? nodeRef.slice(5) : nodeRef);
        const ctx = buildContext(state, o.mode ? { proxyMode: o.mode } : {});
        const { node: nn } = buildNodeIR(state, node.name, ctx);
        const nf = nn.ns.netfilter;
        // The text as bytes (a large cluster's ruleset is ~200 MB: no string is built for it).
        const out = [
            nf.mode === "nftables" ? renderNftBytes(nf.nftables) : renderIptablesBytes(nf.iptables),
        ];
        // iptables mode with nftables tables beside it (NetworkPolicy's `inet podnet-policy`):
        // print them after, as `nft list ruleset` would show them (load each part with its tool).
        if (nf.mode === "iptables" && nf.nftables.length > 0)
            out.push("\n# nftables (nft list ruleset):\n", renderNftBytes(nf.nftables));
        if (o.ipvs)
            out.push((out[0].length > 0 ? "\n" : "") + renderIpvsadm(nn.ipvs ?? []));
        writeOut(out);
    });
}
//# sourceMappingURL=cmd-rules.js.map