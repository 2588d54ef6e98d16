// The Debian packages podnet's tests and benchmarks use, by the command each provides.
// `npm test` runs this first: as root it installs what is missing (apt-get), otherwise it
// names what is missing and the tests that need it skip, naming it too.
// `.ci/run` calls it with --require: anything still missing then is an error.
import { spawnSync } from "node:child_process";

const PACKAGES = {
  ip: "iproute2",
  bridge: "iproute2",
  "iptables-restore": "iptables",
  nft: "nftables",
  bird: "bird2",
  conntrack: "conntrack",
  dig: "dnsutils",
  iperf3: "iperf3",
  curl: "curl",
  dnsperf: "dnsperf",
  nsd: "nsd",
  chromium: "chromium",
  dot: "graphviz",
  ps: "procps",
  python3: "python3",
};

const have = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const missing = () => Object.keys(PACKAGES).filter((c) => !have(c));
const pkgs = (cmds) => [...new Set(cmds.map((c) => PACKAGES[c]))];

let gone = missing();
const root = process.getuid?.() === 0;
if (gone.length && root && have("apt-get")) {
  console.log(`installing ${pkgs(gone).join(" ")} (for ${gone.join(", ")})`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const run = (args) => spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env }).status === 0;
  if (!run(["update", "-qq"]) || !run(["install", "-y", "-qq", "--no-install-recommends", ...pkgs(gone)])) {
    console.error("apt-get could not install them");
  }
  gone = missing();
}
if (gone.length) {
  const why = root ? "could not be installed" : "not root, so not installed";
  console.log(`missing ${gone.join(", ")} (Debian: ${pkgs(gone).join(" ")}; ${why}): the tests that need them skip`);
  if (process.argv.includes("--require")) process.exit(1);
}
