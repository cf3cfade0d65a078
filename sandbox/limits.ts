/** What one command may use, and how to tell the agent when it used it up. */
export interface ResourceLimits {
  /** CPU seconds of each process; it gets SIGXCPU, then SIGKILL a few seconds later. */
  cpuSec: number;
  /** Memory each process may allocate (RLIMIT_DATA, which leaves address-space reservations alone). */
  memBytes: number;
  /** The largest file a command may write. */
  fileBytes: number;
  /** Processes a command may run at once. */
  processes: number;
}

export const DEFAULT_LIMITS: Omit<ResourceLimits, "cpuSec"> = {
  memBytes: 4 * 1024 ** 3,
  fileBytes: 1024 ** 3,
  processes: 1024,
};

/**
 * What Node (V8) takes of RLIMIT_DATA before it runs a line: at start it reserves its code space,
 * 512 MiB on x64, as private writable memory, which the limit counts although it is never filled.
 * Node 24 does not start at all under about 590 MiB.
 */
export const NODE_CODE_RESERVE_BYTES = 512 * 1024 ** 2;

/**
 * The lowest --mem-limit molt accepts: Node's reserve and 256 MiB to work in. Below it, Node,
 * which runs every tool call, and the agent's own Node commands, could not start.
 */
export const MIN_MEM_BYTES = NODE_CODE_RESERVE_BYTES + 256 * 1024 ** 2;

/** An argv prefix that runs the program after it with its data size (RLIMIT_DATA) limited to `bytes`. */
export function underDataLimit(bytes: number): string[] {
  return ["bash", "-c", `ulimit -d ${Math.max(1, Math.floor(bytes / 1024))} && exec "$0" "$@"`];
}

const PROCESS_LIMIT_MESSAGE = "molt: the command started too many processes and was stopped";

/**
 * The script every command runs in, `$1` being the command: resource limits, then the command.
 * The number of processes is bounded by RLIMIT_NPROC for ordinary users; root is not held by it,
 * so under bubblewrap molt also counts the sandbox's processes from outside (process-watch.ts).
 */
export function limitsPrelude(limits: ResourceLimits): string {
  const kib = (bytes: number) => Math.max(1, Math.floor(bytes / 1024));
  return [
    `ulimit -S -t ${limits.cpuSec} && ulimit -H -t ${limits.cpuSec + 5}`,
    `ulimit -d ${kib(limits.memBytes)}`,
    `ulimit -f ${kib(limits.fileBytes)}`,
    `[ "$(id -u)" = 0 ] || ulimit -u ${limits.processes}`,
    'exec bash -c "$1" 2>&1',
  ].join("\n");
}

/** What molt adds to a command's output when it stopped the command for running too many processes. */
export function processLimitMessage(limits: ResourceLimits): string {
  return `${PROCESS_LIMIT_MESSAGE} (more than ${limits.processes})`;
}

const SIGXCPU = 24;
const SIGXFSZ = 25;

/** Plain words for a limit the command hit, judged from its exit code and output; undefined when none was. */
export function limitNote(exitCode: number, output: string, limits: ResourceLimits): string | undefined {
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 === 0 ? 0 : 1)} GiB`;
  if (exitCode === 0) return undefined;
  if (exitCode === 128 + SIGXCPU) return `[molt] the command used up its CPU time limit (${limits.cpuSec} s per process) and was stopped.`;
  if (exitCode === 128 + SIGXFSZ || /File size limit exceeded/.test(output)) {
    return `[molt] the command tried to write a file larger than the limit (${gib(limits.fileBytes)}) and was stopped.`;
  }
  if (output.includes(PROCESS_LIMIT_MESSAGE) || /fork: (retry: )?Resource temporarily unavailable/.test(output)) {
    return `[molt] the command started more processes than the limit (${limits.processes}); it was stopped. Run fewer processes at once.`;
  }
  if (/Cannot allocate memory|MemoryError|std::bad_alloc|out of memory|Allocation failed/i.test(output)) {
    return `[molt] the command ran out of memory: each process may use ${gib(limits.memBytes)}.`;
  }
  return undefined;
}
