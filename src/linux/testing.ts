// The I/O helpers the kernel backend's tests share: root check, kernel-skip policy, root
// snapshots (the fixture IR they build lives in fixture.ts).

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { toolsMissingReason } from "../testing/tools.js";
import { createRunner, type Runner } from "./exec.js";
export { fixtureIR } from "./fixture.js";

export function haveTool(t: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).status === 0;
}

/**
 * Why kernel tests cannot run here (null: they can). With PODNET_REQUIRE_KERNEL=1 the
 * caller must fail instead of skipping.
 */
export function kernelSkipReason(tools: string[] = ["ip", "bridge", "curl", "python3"]): string | null {
  if (process.platform !== "linux") return "not Linux";
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    return "not root (network namespaces need CAP_SYS_ADMIN)";
  const gone = toolsMissingReason(tools);
  if (gone) return gone;
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  if (r.status !== 0) return `ip netns does not work: ${r.stderr}`;
  return null;
}

/** node:test `skip` option value: a reason, or false; throws when PODNET_REQUIRE_KERNEL=1. */
export function kernelSkip(tools?: string[]): string | false {
  const why = kernelSkipReason(tools);
  if (why && process.env.PODNET_REQUIRE_KERNEL === "1")
    throw new Error(`PODNET_REQUIRE_KERNEL=1 but kernel tests cannot run: ${why}`);
  return why ? `kernel test skipped: ${why}` : false;
}

/** The root namespace as text: links, addresses, routes, rules, netfilter, relevant sysctls. Read-only. */
export function rootSnapshot(): Record<string, string> {
  const sh = (c: string) => spawnSync("sh", ["-c", c], { encoding: "utf8" }).stdout;
  const sysctls = [
    "net/ipv4/ip_forward",
    "net/bridge/bridge-nf-call-iptables",
    "net/bridge/bridge-nf-call-ip6tables",
    "net/ipv4/conf/all/forwarding",
    "net/ipv4/conf/all/proxy_arp",
    "net/ipv4/conf/all/rp_filter",
  ];
  return {
    // Counters and dynamic state (statistics, neighbour ages) stripped.
    links: sh("ip -o link show | sed -e 's/ state [A-Z]*//'"),
    addrs: sh("ip -o addr show | sed -e 's/valid_lft.*//'"),
    routes: sh("ip route show table all"),
    rules: sh("ip rule show"),
    iptables: sh("iptables-save 2>/dev/null | grep -v '^#' | sed -e 's/\\[[0-9]*:[0-9]*\\]//'"),
    nft: sh("nft list ruleset 2>/dev/null"),
    sysctls: sysctls.map((s) => `${s}=${sh(`cat /proc/sys/${s} 2>/dev/null`).trim()}`).join("\n"),
  };
}

/** A runner whose `nth` command matching `match` gets a line its tool refuses appended to its input. */
export function failingRunner(match: (argv: string[]) => boolean, nth: number): Runner & { failed: string[] } {
  const real = createRunner();
  let seen = 0;
  const failed: string[] = [];
  return {
    dryRun: false,
    log: real.log,
    failed,
    run(argv, input = "", o) {
      if (match(argv) && ++seen === nth) {
        failed.push(argv.join(" "));
        input = `${input.endsWith("\n") || !input ? input : input + "\n"}podnet-test-refused this line\n`;
      }
      return real.run(argv, input, o);
    },
  };
}

/**
 * From pod `pod` of running cluster `cluster` (`podnet exec`): a TCP connect to each target
 * in turn, with an HTTP request and a read when `request`; per target "ok" or the error's
 * Python name (ConnectionRefusedError, TimeoutError).
 */
export function connectFrom(
  cluster: string,
  pod: string,
  targets: [ip: string, port: number][],
  o: { timeout?: number; request?: boolean } = {},
): string[] {
  const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
  const list = targets.map(([ip, port]) => `("${ip}", ${port})`).join(", ");
  const send = o.request ? '; s.send(b"GET / HTTP/1.0\\r\\n\\r\\n"); s.recv(100)' : "";
  const py = `import socket
for ip, port in (${list},):
    s = socket.socket(); s.settimeout(${o.timeout ?? 1.5})
    try:
        s.connect((ip, port))${send}; print("ok")
    except Exception as e:
        print(type(e).__name__)
    s.close()`;
  const r = spawnSync(process.execPath, [bin, "exec", "--name", cluster, pod, "--", "python3", "-c", py], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`podnet exec ${pod}: ${r.stderr}`);
  return r.stdout.trim().split("\n");
}
