/**
 * What the benchmark reads from Linux's /proc: CPU time and memory of a
 * process and its children, the open-file limit, and facts about the
 * machine for the report. Everything degrades to "unknown" elsewhere.
 */

/** Linux reports CPU time in clock ticks; 100 per second on every common build. */
const TICKS_PER_SECOND = 100;

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

interface ProcStat {
  /** R running, S sleeping, T stopped, … */
  state: string;
  ppid: number;
  /** utime + stime, in seconds. */
  cpuSeconds: number;
}

/** Fields of /proc/PID/stat; the command name (2nd field) may hold spaces. */
export function parseStat(text: string): ProcStat {
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // After the name: state(3) ppid(4) … utime(14) stime(15), 1-based.
  return {
    state: fields[0],
    ppid: Number(fields[1]),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
  };
}

function stat(pid: number): ProcStat | undefined {
  const text = readText(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseStat(text);
}

/** `pid` and all its descendants that are alive now. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      const child = Number(entry.name);
      if (!Number.isInteger(child)) continue;
      const parent = stat(child)?.ppid;
      if (parent === undefined) continue;
      children.set(parent, [...children.get(parent) ?? [], child]);
    }
  } catch {
    return [pid];
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    tree.push(...children.get(tree[i]) ?? []);
  }
  return tree;
}

/** CPU seconds (user + system) used so far by one process. */
export function cpuSeconds(pid: number): number | undefined {
  return stat(pid)?.cpuSeconds;
}

/** Resident memory of `pid` in KiB, from /proc/PID/status. */
export function rssKiB(pid: number): number | undefined {
  const status = readText(`/proc/${pid}/status`);
  const match = status && /^VmRSS:\s+(\d+)/m.exec(status);
  return match ? Number(match[1]) : undefined;
}

/** The soft and hard limits on open files of this process. */
export function openFileLimit(): { soft: number; hard: number } | undefined {
  const limits = readText("/proc/self/limits");
  const match = limits &&
    /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
  if (!match) return undefined;
  const value = (text: string) =>
    text === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(text);
  return { soft: value(match[1]), hard: value(match[2]) };
}

/** 1-minute load average: how busy the machine was besides us. */
export function loadAverage(): number | undefined {
  const text = readText("/proc/loadavg");
  return text ? Number(text.split(" ")[0]) : undefined;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readText("/proc/cpuinfo") ?? "";
  const meminfo = readText("/proc/meminfo") ?? "";
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1].trim() ??
      Deno.build.arch,
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round(memKiB / 1024 / 1024),
    kernel: readText("/proc/sys/kernel/osrelease")?.trim() ??
      Deno.build.os,
  };
}
