import { spawnSync } from "node:child_process";
import { existsSync, realpathSync, statSync } from "node:fs";
import { hostHidden, secretStores, type SandboxPolicy } from "./sandbox-policy.ts";

/**
 * The bubblewrap arguments for a policy: the whole file system read-only, a private /tmp, the host's
 * socket folders and other runs' folders shown empty, the writable folders bound back in, secret
 * stores hidden, no network unless allowed, its own process namespace, and nothing that outlives molt.
 */
export function bwrapArgs(policy: SandboxPolicy, cwd: string): string[] {
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"];
  const hidden = [...new Set([...hostHidden(), ...(policy.hidden ?? [])])];
  for (const path of hidden) args.push("--tmpfs", path);
  // With the network, name resolution may need what /etc/resolv.conf links to under /run.
  if (policy.network === "all") for (const path of resolverFiles(hidden)) args.push("--ro-bind", path, path);
  for (const path of secretStores()) {
    if (!existsSync(path) || hidden.some((folder) => path.startsWith(`${folder}/`))) continue;
    if (statSync(path).isDirectory()) args.push("--tmpfs", path);
    else args.push("--ro-bind", "/dev/null", path);
  }
  for (const path of policy.writable) args.push("--bind", path, path);
  for (const path of policy.readOnly) if (existsSync(path)) args.push("--ro-bind", path, path);
  args.push("--unshare-all");
  if (policy.network === "all") args.push("--share-net");
  args.push("--die-with-parent", "--new-session", "--cap-drop", "ALL", "--chdir", cwd);
  return args;
}

/** The resolver's configuration when it lives in a hidden folder (systemd-resolved's, resolvconf's). */
function resolverFiles(hidden: readonly string[]): string[] {
  try {
    const real = realpathSync("/etc/resolv.conf");
    return hidden.some((folder) => real.startsWith(`${folder}/`)) ? [real] : [];
  } catch {
    return [];
  }
}

let probed: { problem: string | undefined } | undefined;

/** Why bubblewrap cannot sandbox commands here, or undefined when it can; asked once per process (a batch worker runs many). */
export function bwrapProblem(): string | undefined {
  probed ??= { problem: probeBwrap() };
  return probed.problem;
}

function probeBwrap(): string | undefined {
  const probe = spawnSync("bwrap", ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all", "--die-with-parent", "--", "true"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  if (probe.error && (probe.error as NodeJS.ErrnoException).code === "ENOENT") return "bubblewrap (bwrap) is not installed";
  if (probe.status !== 0) {
    const why = (probe.stderr ?? "").trim().split("\n")[0] || `it exited with ${probe.status ?? probe.signal}`;
    return `bubblewrap cannot create a sandbox here (${why})`;
  }
  return undefined;
}
