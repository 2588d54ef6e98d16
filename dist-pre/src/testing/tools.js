// Which outside commands a test needs, and what a test does when one is missing: it skips,
// naming the command and its Debian package — unless PODNET_REQUIRE_KERNEL=1 (CI), where
// a missing command fails the test. The list of packages is scripts/system-packages.json,
// the one `npm test` installs from as root (scripts/system-deps.mjs).
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
const PACKAGES = JSON.parse(readFileSync(new URL("../../../scripts/system-packages.json", import.meta.url), "utf8"));
/** The Debian package that provides a command (the command's own name when unlisted). */
export function packageOf(tool) {
    return PACKAGES[tool] ?? tool;
}
function onPath(tool, path) {
    for (const dir of path.split(delimiter)) {
        if (!dir)
            continue;
        try {
            accessSync(join(dir, tool), constants.X_OK);
            return true;
        }
        catch {
            // not in this directory
        }
    }
    return false;
}
/** The commands of `tools` that no directory of `path` holds as an executable. */
export function missingTools(tools, path = process.env.PATH ?? "") {
    return tools.filter((t) => !onPath(t, path));
}
/** Why a test needing `tools` cannot run (null: it can), naming commands and packages. */
export function toolsMissingReason(tools, path) {
    const gone = missingTools(tools, path);
    if (gone.length === 0)
        return null;
    const pkgs = [...new Set(gone.map(packageOf))];
    return `needs ${gone.join(", ")} (apt-get install ${pkgs.join(" ")})`;
}
/**
 * node:test's `skip` option for a test needing `tools`: false when all are there, else the
 * reason; with `require` (default: PODNET_REQUIRE_KERNEL=1) a missing tool throws instead.
 */
export function toolSkip(tools, o = {}) {
    const why = toolsMissingReason(tools, o.path);
    if (!why)
        return false;
    if (o.require ?? process.env.PODNET_REQUIRE_KERNEL === "1")
        throw new Error(`PODNET_REQUIRE_KERNEL=1 but a test ${why}`);
    return `skipped: ${why}`;
}
//# sourceMappingURL=tools.js.map