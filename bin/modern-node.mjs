// A Node recent enough for molt (22.12 or newer), for machines whose own is older: Node 24 from
// the npm registry, fetched once with the machine's npm and kept in the user's cache folder.
// Plain JavaScript on purpose: it runs under the old Node (18 and 20 included) to find the new one.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const NEEDED = "22.12";

/** Whether this Node (or the version given) can run molt. */
export function recentEnough(version = process.versions.node) {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

function cacheDir() {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "molt", "node-24");
}

/**
 * The path of a Node binary that can run molt: this one when it is recent enough, else Node 24
 * from the cache, fetched first when it is not there. Says in one line on stderr what it does;
 * returns undefined (having said why) when it cannot get one.
 */
export function modernNode() {
  if (recentEnough()) return process.execPath;
  const dir = cacheDir();
  const pkg = `node-${process.platform}-${process.arch}`;
  const binary = join(dir, "node_modules", pkg, "bin", "node");
  const why = `Node ${process.version} is older than molt needs (${NEEDED})`;
  if (!existsSync(binary)) {
    // A fetch cut short leaves a folder without its binary.
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`molt: ${why}: fetching Node 24 from the npm registry into ${dir} (once)\n`);
    // Into a folder of its own, then moved into place: two molts fetching at once do not mix their files.
    mkdirSync(join(dir, ".."), { recursive: true });
    const staging = mkdtempSync(`${dir}.partial-`);
    const install = spawnSync("npm", ["install", "--prefix", staging, "--no-save", "--no-audit", "--no-fund", "--no-package-lock", `${pkg}@24`], {
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
    if (install.status !== 0 || !existsSync(join(staging, "node_modules", pkg, "bin", "node"))) {
      rmSync(staging, { recursive: true, force: true });
      const detail = install.error ? install.error.message : (install.stderr || "").trim().split("\n").find((line) => /err/i.test(line)) || `npm exited with ${install.status}`;
      process.stderr.write(`molt: could not fetch Node 24 (${detail}); install Node ${NEEDED} or newer (see the README's quick start)\n`);
      return undefined;
    }
    try {
      renameSync(staging, dir);
    } catch {
      // Another molt put it there first.
      rmSync(staging, { recursive: true, force: true });
    }
  } else {
    process.stderr.write(`molt: ${why}: running under Node 24 from ${dir}\n`);
  }
  return binary;
}

/**
 * Runs a program in the foreground and exits as it exits. Ctrl-C reaches it from the terminal
 * (it is in this process group), so this process only waits through it; SIGTERM and SIGHUP,
 * which are sent to this process alone, are passed on.
 */
export function handOver(file, args, env = process.env) {
  const child = spawn(file, args, { stdio: "inherit", env });
  const passOn = (signal) => child.kill(signal);
  process.on("SIGINT", () => {});
  process.on("SIGTERM", passOn);
  process.on("SIGHUP", passOn);
  child.on("error", (error) => {
    process.stderr.write(`molt: cannot run ${file}: ${error.message}\n`);
    process.exit(2);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}
