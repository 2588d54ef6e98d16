// The Debian packages podnet's tests and benchmarks use, by the command each provides
// (scripts/system-packages.json, also read by the tests' tool checks in src/testing/tools.ts).
// `npm test` runs this first: as root it installs what is missing (apt-get); otherwise it
// names what is missing, and the tests that need it skip, naming it too. With
// PODNET_REQUIRE_KERNEL=1 (CI) anything still missing is an error.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const PACKAGES = JSON.parse(readFileSync(new URL("./system-packages.json", import.meta.url), "utf8"));
// A key starting with "/" is a file the package provides (headers: libbpf-dev's bpf_helpers.h).
const have = (cmd) =>
  cmd.startsWith("/")
    ? existsSync(cmd)
    : spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
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
  console.log(`missing ${gone.join(", ")} (${why}): the tests that need them skip`);
  console.log(`to run them: apt-get install ${pkgs(gone).join(" ")}`);
  if (process.env.PODNET_REQUIRE_KERNEL === "1") {
    console.error("PODNET_REQUIRE_KERNEL=1: every tool is required");
    process.exit(1);
  }
}
