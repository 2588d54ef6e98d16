// A corpus of hostile manifests, cluster configs and command lines, each run through the
// real CLI as a child process with a heap bound and a timeout (issue 19): every one must
// end with exit 1 (usage) or 2 (invalid input) and a message naming the file, field or
// flag — or, for valid input that is merely extreme (replicas 10^9, an IPv6 ipBlock), exit
// 0 — never a stack trace, a V8 fatal error, a timeout or an error message of megabytes.
// Expected verdicts follow the API server's validation (kubernetes/kubernetes
// pkg/apis/core/validation, pkg/apis/apps/validation, pkg/apis/networking/validation) and
// the int32 type of replicas/parallelism/completions (k8s.io/api apps/v1, batch/v1).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
const HEAP_MB = 384;
const TIMEOUT_MS = 30_000;
const STDERR_MAX = 64 * 1024;

interface Case {
  name: string;
  args: string[];
  /** Files written to the scratch directory first (name -> contents); args refer to them as @name. */
  files?: Record<string, string>;
  stdin?: string;
  env?: Record<string, string>;
  /** 0: valid input that must load; otherwise exit 1 or 2. */
  exit: 0 | 1 | 2 | "1|2";
  /** What the message must name (file, field or flag). */
  mention?: RegExp;
}

const dep = (spec: string, name = "web") => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]}
${spec}
`;
const pod = (spec: string, meta = "name: p") => `apiVersion: v1
kind: Pod
metadata: {${meta}}
spec:
  containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]
${spec}
`;
const svc = (spec: string) => `apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  selector: {app: web}
${spec}
`;
const netpol = (spec: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec:
  podSelector: {}
${spec}
`;
const cluster = (body: string) => `apiVersion: podnet.dev/v1alpha1
kind: Cluster
${body}
`;

function cases(): Case[] {
  const out: Case[] = [];
  const bad = (name: string, file: string, mention: RegExp, exit: Case["exit"] = 2, cmd = ["get", "po"]) =>
    out.push({ name, args: [...cmd, "-f", "@m.yaml"], files: { "m.yaml": file }, exit, mention });
  const ok = (name: string, file: string, cmd = ["get", "po"]) =>
    out.push({ name, args: [...cmd, "-f", "@m.yaml"], files: { "m.yaml": file }, exit: 0 });

  // Counts: int32 as the API decodes them; past the nodes' capacity, counted not materialised.
  for (const [field, kind] of [
    ["replicas", "Deployment"],
    ["replicas", "StatefulSet"],
    ["parallelism", "Job"],
    ["completions", "Job"],
  ] as const) {
    const doc = (v: string) =>
      kind === "Deployment"
        ? dep(`  ${field}: ${v}`)
        : kind === "StatefulSet"
          ? dep(`  ${field}: ${v}\n  serviceName: web`).replace("kind: Deployment", "kind: StatefulSet")
          : `apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  ${field}: ${v}\n  template:\n    spec: {restartPolicy: Never, containers: [{name: c, image: x}]}\n`;
    for (const v of ["2147483648", "1e300", "-1", '"3"', "1.5"])
      bad(`${kind} ${field}: ${v}`, doc(v), new RegExp(`m\\.yaml:\\d+ .*spec\\.${field}`));
    for (const v of ["1000000000"]) ok(`${kind} ${field}: ${v} (counted, not materialised)`, doc(v));
  }
  ok("scale to 99999999", dep("  replicas: 1"), ["scale", "deploy", "web", "--replicas", "99999999"]);
  out.push({
    name: "scale --replicas past int32",
    args: ["scale", "deploy", "web", "--replicas", "99999999999", "-f", "@m.yaml"],
    files: { "m.yaml": dep("  replicas: 1") },
    exit: "1|2",
    mention: /--replicas/,
  });

  // IPv6 where Kubernetes accepts it: kept, matches nothing; IPv4-only parsers never throw.
  for (const cidr of ["::/0", "2001:db8::1/128"])
    for (const cmd of [["reach"], ["rules", "kind-worker"]])
      ok(`ipBlock ${cidr} (${cmd[0]})`, netpol(`  ingress: [{from: [{ipBlock: {cidr: "${cidr}"}}]}]`), cmd);
  ok(
    "ipBlock fd00::/8 except fd00::/16",
    netpol(`  egress: [{to: [{ipBlock: {cidr: "fd00::/8", except: ["fd00::/16"]}}]}]`),
    ["reach"],
  );
  bad(
    "ipBlock except outside",
    netpol(`  egress: [{to: [{ipBlock: {cidr: "fd00::/8", except: ["fe00::/16"]}}]}]`),
    /except\[0\]/,
  );
  bad(
    "ipBlock except other family",
    netpol(`  egress: [{to: [{ipBlock: {cidr: "::/0", except: ["10.0.0.0/8"]}}]}]`),
    /except\[0\]/,
  );
  bad("ipBlock not a CIDR", netpol(`  egress: [{to: [{ipBlock: {cidr: "::zz/0"}}]}]`), /ipBlock\.cidr/);
  bad("ipBlock prefix 129", netpol(`  egress: [{to: [{ipBlock: {cidr: "::/129"}}]}]`), /ipBlock\.cidr/);
  bad(
    "Node with an IPv6 podCIDR only",
    `apiVersion: v1\nkind: Node\nmetadata: {name: n6}\nspec: {podCIDR: "fd00:1::/64"}\n`,
    /spec\.podCIDR/,
  );
  bad("Service clusterIP IPv6", svc(`  clusterIP: "fd00::10"\n  ports: [{port: 80}]`), /spec\.clusterIP/);
  bad("Service clusterIP 999.1.1.1", svc(`  clusterIP: "999.1.1.1"\n  ports: [{port: 80}]`), /spec\.clusterIP/);

  // Ports and types the model reads.
  for (const v of ["0", "70000", '"http"', "{}"])
    bad(`Service port ${v}`, svc(`  ports: [{port: ${v}}]`), /spec\.ports\[0\]\.port/);
  for (const v of ["0", "65536"])
    bad(`containerPort ${v}`, pod("").replace("containerPort: 80", `containerPort: ${v}`), /containerPort/);
  bad("protocol XYZ", svc("  ports: [{port: 80, protocol: XYZ}]"), /protocol/);
  bad("spec a list", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: [1, 2]\n", /spec/);
  bad(
    "containers a string",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: nope}\n",
    /containers/,
  );
  bad(
    "metadata.name a number",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: 5}\nspec: {containers: [{name: c, image: x}]}\n",
    /metadata\.name/,
  );
  bad("document a scalar", "just a string\n", /m\.yaml/);
  bad("document a list", "- a\n- b\n", /m\.yaml/);

  // dnsConfig: kubelet writes options into resolv.conf lines.
  for (const n of ['"ndots\\nnameserver 6.6.6.6"', '"a b"', '"x\\ty"'])
    bad(`dnsConfig.options name ${n}`, pod(`  dnsConfig: {options: [{name: ${n}}]}`), /dnsConfig\.options\[0\]\.name/);
  bad(
    "dnsConfig.options value newline",
    pod('  dnsConfig: {options: [{name: ndots, value: "1\\nsearch evil"}]}'),
    /options\[0\]\.value/,
  );
  bad(
    "dnsConfig nameserver not an IP",
    pod('  dnsPolicy: None\n  dnsConfig: {nameservers: ["x"]}'),
    /nameservers\[0\]/,
  );

  // Syntax, nesting, size of values.
  bad("YAML syntax error", "a: [\n", /m\.yaml:\d+/);
  bad("tab indentation", "a:\n\tb: 1\n", /m\.yaml:\d+/);
  bad("duplicate keys", "kind: Pod\nkind: Service\n", /m\.yaml:\d+/);
  ok("NUL bytes in a kind (an ignored kind)", "apiVersion: v1\nkind: Pod\x00\x00\n");
  bad("binary garbage", String.fromCharCode(...Array.from({ length: 400 }, (_, i) => (i * 37) % 256)), /m\.yaml/);
  bad(
    "alias bomb",
    `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from(
      { length: 9 },
      (_, i) =>
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(", ")}]`,
    ).join("\n")}\n`,
    /m\.yaml/,
  );
  for (const d of [5000, 50000]) {
    bad(
      `annotation nested ${d} deep (flow)`,
      pod("", `name: p, annotations: {a: ${"[".repeat(d)}${"]".repeat(d)}}`),
      /m\.yaml/,
    );
    out.push({
      name: `JSON nested ${d} deep`,
      args: ["get", "po", "-f", "@m.json"],
      files: {
        "m.json": `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","annotations":{"a":${"[".repeat(d)}${"]".repeat(d)}}}}`,
      },
      exit: 2,
      mention: /m\.json/,
    });
  }
  bad(
    "block mapping nested 3000 deep",
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n${Array.from({ length: 3000 }, (_, i) => `${" ".repeat(i + 1)}k:`).join("\n")}\n`,
    /m\.yaml/,
  );
  const huge = "x".repeat(2_000_000);
  bad(
    "a 2 MB name (message cut)",
    pod("", `name: ${huge}`).replace("containerPort: 80", "containerPort: 0"),
    /m\.yaml/,
  );
  bad("a 2 MB port string", svc(`  ports: [{port: "${huge}"}]`), /spec\.ports\[0\]\.port/);
  bad(
    "a 2 MB label value",
    pod("  nodeSelector: {a: b}", `name: p, labels: {a: ${huge}}`).replace("containerPort: 80", "containerPort: 0"),
    /m\.yaml/,
  );
  ok("a 253-character pod name in a 63-character namespace", pod("", `name: ${"p".repeat(253)}, namespace: default`), [
    "rules",
    "kind-worker",
    "--mode",
    "nftables",
  ]);

  // Cluster configs.
  const cfg = (name: string, body: string, mention: RegExp) =>
    out.push({
      name: `config: ${name}`,
      args: ["get", "no", "--config", "@c.yaml"],
      files: { "c.yaml": cluster(body) },
      exit: 2,
      mention,
    });
  cfg("dns.replicas 1e10", "dns: {replicas: 10000000000}", /dns\.replicas/);
  cfg("dns.replicas -1", "dns: {replicas: -1}", /dns\.replicas/);
  cfg("dns.ttl 99999", "dns: {ttl: 99999}", /dns\.ttl/);
  cfg("dns.pods bad", "dns: {pods: sometimes}", /dns\.pods/);
  cfg(
    "externalDNS TXT 70 KB",
    `externalDNS: [{name: big.example.com, type: TXT, value: "${"t".repeat(70_000)}"}]`,
    /externalDNS\[0\]\.value/,
  );
  cfg(
    "externalDNS A not an IP",
    "externalDNS: [{name: a.example.com, type: A, value: fd00::1}]",
    /externalDNS\[0\]\.value/,
  );
  cfg("externalDNS type MX", "externalDNS: [{name: a.example.com, type: MX, value: x}]", /externalDNS\[0\]\.type/);
  cfg("podSubnet not a CIDR", "networking: {podSubnet: banana}", /podSubnet/);
  cfg("podSubnet IPv6", 'networking: {podSubnet: "fd00::/48"}', /podSubnet/);
  cfg("nodeCIDRMaskSize 99", "networking: {nodeCIDRMaskSize: 99}", /nodeCIDRMaskSize/);
  cfg("unknown field", "networking: {bogus: 1}", /bogus/);
  cfg("kubeProxyMode bad", "networking: {kubeProxyMode: magic}", /kubeProxyMode/);
  cfg("dns a list", "dns: [1]", /dns/);
  ok("dns.replicas 10^8 (counted, not materialised)", "", ["get", "po", "-A", "--config", "@c.yaml"]);
  out[out.length - 1].files = { "m.yaml": "", "c.yaml": cluster("dns: {replicas: 100000000}") };

  // Command lines: flags and operands.
  const usage = (name: string, args: string[], mention: RegExp, exit: Case["exit"] = 1) =>
    out.push({ name, args, exit, mention });
  for (const p of ["0", "99999", "1e3"])
    usage(`trace -p ${p}`, ["trace", "user-app", "svc/user-service", "-p", p], /-p\/--port/);
  for (const u of [
    "http://10.96.0.1:0/",
    "http://10.96.0.1:99999/",
    "http://[fd00::1]:80/",
    "10.96.0.1:0",
    "10.96.0.1:70000",
    "999.1.1.1:80",
    "fd00::1",
  ])
    usage(`trace to ${u}`, ["trace", "user-app", u], /port|IPv6|IPv4/);
  usage("trace --size 1e9", ["trace", "user-app", "svc/user-service", "--size", "1000000000"], /--size/);
  usage("trace --ttl 0", ["trace", "user-app", "svc/user-service", "--ttl", "0"], /--ttl/);
  usage("trace --max-paths 0", ["trace", "user-app", "svc/user-service", "--max-paths", "0"], /--max-paths/);
  usage("trace --protocol gre", ["trace", "user-app", "svc/user-service", "--protocol", "gre"], /--protocol/);
  usage("trace unknown pod", ["trace", "nope-nope", "user-service"], /nope-nope/);
  usage("trace -o yaml", ["trace", "user-app", "svc/user-service", "-o", "yaml"], /-o/);
  for (const l of ["127.0.0.1:70000", "300.1.1.1:53", "[::1]:99999", "localhost:53", "[zz]:53"])
    usage(`dns serve --listen ${l}`, ["dns", "serve", "--listen", l], /--listen/);
  usage("dns serve --upstream bad", ["dns", "serve", "--upstream", "8.8.8.8:0"], /--upstream/);
  usage("ui --port 70000", ["ui", "--port", "70000"], /--port/);
  usage("unknown flag", ["get", "po", "--bogus"], /--bogus/);
  usage("unknown command", ["frobnicate"], /frobnicate/);
  usage("-f missing file", ["get", "po", "-f", "/nonexistent/x.yaml"], /\/nonexistent\/x\.yaml/, 2);
  usage("-f /dev/zero", ["get", "po", "-f", "/dev/zero"], /\/dev\/zero/, 2);
  usage("--config /dev/zero", ["get", "po", "--config", "/dev/zero"], /\/dev\/zero/, 2);
  usage("--config a directory", ["get", "po", "--config", "/tmp"], /\/tmp/, 2);
  usage("--max-input-bytes 0", ["get", "po", "--max-input-bytes", "0"], /--max-input-bytes/);
  usage("--max-input-bytes abc", ["get", "po", "--max-input-bytes", "abc"], /--max-input-bytes/);
  usage("scale --replicas -1", ["scale", "deploy", "user-app", "--replicas", "-1"], /--replicas/, "1|2");
  usage("scale --replicas abc", ["scale", "deploy", "user-app", "--replicas", "abc"], /--replicas/, "1|2");
  out.push({
    name: "stdin past the input cap",
    args: ["get", "po", "-f", "-"],
    stdin: "x".repeat(100_000),
    env: { PODNET_MAX_INPUT_BYTES: "1000" },
    exit: 2,
    mention: /<stdin>.*(PODNET_MAX_INPUT_BYTES|--max-input-bytes)/,
  });
  out.push({
    name: "PODNET_MAX_INPUT_BYTES bad",
    args: ["get", "po"],
    env: { PODNET_MAX_INPUT_BYTES: "-5" },
    exit: 2,
    mention: /PODNET_MAX_INPUT_BYTES/,
  });
  // Names of Object.prototype's members where the input names a kind: never Object's own.
  for (const k of ["__proto__", "constructor", "toString"])
    out.push({
      name: `kind ${k}`,
      args: ["get", "po", "-f", "-"],
      stdin: `apiVersion: v1\nkind: ${k}\nmetadata: {name: x}\n`,
      exit: 0,
    });
  usage("check /dev/zero", ["check", "/dev/zero"], /\/dev\/zero: is not a regular file/, 2);
  usage(
    "--rules-from /dev/zero",
    ["trace", "order-app", "http://user-service", "--node", "worker-1", "--rules-from", "/dev/zero"],
    /\/dev\/zero: is not a regular file/,
    2,
  );
  usage(
    "--rules-from a directory",
    ["trace", "order-app", "http://user-service", "--node", "worker-1", "--rules-from", "/tmp"],
    /\/tmp: is not a regular file/,
    2,
  );
  for (const who of ["constructor/x", "__proto__/x"])
    usage(`trace to ${who}`, ["trace", "order-app", who, "-p", "80"], /not found/, "1|2");
  usage("describe __proto__", ["describe", "__proto__", "x"], /describe supports/);
  out.push({ name: "stdin garbage", args: ["get", "po", "-f", "-"], stdin: "{{{{", exit: 2, mention: /<stdin>/ });
  out.push({
    name: "stdin 5000-deep JSON",
    args: ["get", "po", "-f", "-"],
    stdin: `{"a":${"[".repeat(5000)}${"]".repeat(5000)}}`,
    exit: 2,
    mention: /<stdin>/,
  });
  return out;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

function run(c: Case, dir: string): Promise<Outcome> {
  const args = c.args.map((a) => (a.startsWith("@") ? join(dir, a.slice(1)) : a));
  const t0 = Date.now();
  return new Promise((resolve) => {
    const ch = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, BIN, ...args], {
      env: { ...process.env, PODNET_DEBUG: "", ...c.env },
      stdio: ["pipe", "ignore", "pipe"],
      timeout: TIMEOUT_MS,
    });
    let stderr = "";
    ch.stderr.on("data", (d) => {
      if (stderr.length < 4 * STDERR_MAX) stderr += d;
    });
    ch.stdin.on("error", () => {}); // the CLI may stop reading (input cap)
    ch.stdin.end(c.stdin ?? "");
    ch.on("close", (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - t0 }));
  });
}

/** Why an outcome is not clean, or null. */
function verdict(c: Case, o: Outcome): string | null {
  if (o.signal) return `killed by ${o.signal} after ${o.ms} ms`;
  const wanted = c.exit === "1|2" ? [1, 2] : [c.exit];
  if (!wanted.includes(o.code ?? -1)) return `exit ${o.code}, wanted ${c.exit}`;
  if (/^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m.test(o.stderr)) return "a stack trace";
  if (/internal error|FATAL ERROR|Maximum call stack/.test(o.stderr)) return "an internal error";
  if (o.stderr.length > STDERR_MAX) return `${o.stderr.length} bytes of stderr (values not cut)`;
  if (c.exit !== 0 && c.mention && !c.mention.test(o.stderr)) return `the message does not name ${c.mention}`;
  return null;
}

test("hostile manifests, configs and command lines: exit 1 or 2 with a named place, never a crash", async (t) => {
  const all = cases();
  assert.ok(all.length >= 100, `${all.length} cases`);
  const dir = mkdtempSync(join(tmpdir(), "podnet-hostile-"));
  const failures: string[] = [];
  let clean = 0;
  try {
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const c = all[next++];
        const sub = mkdtempSync(join(dir, "c-"));
        for (const [f, text] of Object.entries(c.files ?? {})) writeFileSync(join(sub, f), text);
        const o = await run(c, sub);
        const why = verdict(c, o);
        if (why) failures.push(`${c.name}: ${why}\n    ${o.stderr.slice(0, 400).replace(/\n/g, "\n    ")}`);
        else clean++;
      }
    };
    await Promise.all(Array.from({ length: 3 }, worker));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  t.diagnostic(`hostile corpus: ${all.length} tried, ${clean} clean`);
  assert.deepEqual(failures, []);
});

test("output to a reader that went away (| head): a quiet end, no EPIPE stack trace", async () => {
  const ch = spawn(process.execPath, [BIN, "rules", "worker-1"], { stdio: ["ignore", "pipe", "pipe"] });
  ch.stdout.destroy(); // the reader closes before podnet writes
  let stderr = "";
  ch.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => ch.on("close", (c) => r(c)));
  assert.equal(code, 0);
  assert.doesNotMatch(stderr, /EPIPE|\n\s+at /);
});
