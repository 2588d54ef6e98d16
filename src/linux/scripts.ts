// The Python programs podnet runs (src/linux/py/*.py) are files of the package, not
// strings in the code: tsc does not copy them into dist/, so they are found from the
// package root (dist/src/linux/ is three levels below it), the same in a checkout and
// in an installed package (package.json "files" lists src/linux/py).
import { fileURLToPath } from "node:url";

export function pythonScript(
  name: "supervisor_binder.py" | "verify_client.py" | "observe_reader.py" | "dns_watchdog.py" | "netns_listeners.py",
): string {
  return fileURLToPath(new URL(`../../../src/linux/py/${name}`, import.meta.url));
}
