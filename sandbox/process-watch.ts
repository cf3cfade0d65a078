import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * Counts the processes of a bubblewrap sandbox from outside it, where nothing the command does can
 * stop the count: the processes whose pid namespace is the one bwrap made. (Root is not held by
 * RLIMIT_NPROC, so this is what bounds a fork bomb.)
 */
export class SandboxProcessCount {
  readonly #bwrapPid: number;
  #namespace: string | undefined;

  /** `bwrapPid`: the process molt started, bwrap itself or a shell that starts it. */
  constructor(bwrapPid: number) {
    this.#bwrapPid = bwrapPid;
  }

  /** The number of processes in the sandbox now; 0 while it is still starting. */
  count(): number {
    this.#namespace ??= this.#findNamespace();
    if (this.#namespace === undefined) return 0;
    let count = 0;
    for (const entry of readdirSync("/proc")) {
      if (entry.charCodeAt(0) > 57) continue;
      try {
        if (readlinkSync(`/proc/${entry}/ns/pid`) === this.#namespace) count++;
      } catch {
        // The process ended while we looked.
      }
    }
    return count;
  }

  /** The first descendant in another pid namespace is the sandbox's pid 1 (bwrap may sit under a shell or two). */
  #findNamespace(): string | undefined {
    try {
      const own = readlinkSync(`/proc/${this.#bwrapPid}/ns/pid`);
      let pid = String(this.#bwrapPid);
      for (let depth = 0; depth < 4; depth++) {
        const [child] = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
        if (!child) return undefined;
        const namespace = readlinkSync(`/proc/${child}/ns/pid`);
        if (namespace !== own) return namespace;
        pid = child;
      }
      return undefined;
    } catch {
      return undefined;
    }
  }
}
