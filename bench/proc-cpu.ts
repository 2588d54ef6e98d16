// CPU time of a process tree from /proc, for the benchmarks that report what a server or a
// reader cost (bench/dns.ts, bench/observe-flood.ts): utime and stime, fields 14 and 15 of
// /proc/PID/stat, in clock ticks (proc(5), https://man7.org/linux/man-pages/man5/proc.5.html).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** CPU seconds (user + system) of `root` itself and of the processes whose parent chain reaches it. */
export function treeCpu(root: number): { self: number; children: number } {
  const ppid = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, "utf8");
      // After the command's ")": state is field 3, ppid 4, utime 14, stime 15.
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      ppid.set(Number(d), Number(f[1]));
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / CLK_TCK);
    } catch {
      /* exited */
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, pp] of ppid)
      if (tree.has(pp) && !tree.has(p)) {
        tree.add(p);
        grew = true;
      }
  }
  let children = 0;
  for (const p of tree) if (p !== root) children += cpu.get(p) ?? 0;
  return { self: cpu.get(root) ?? 0, children };
}

/** The machine's CPU seconds, busy and idle (iowait counted idle), from /proc/stat's "cpu" line. */
export function machineCpu(): { busy: number; idle: number } {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const idle = f[3] + f[4];
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
  return { busy: busy / CLK_TCK, idle: idle / CLK_TCK };
}
