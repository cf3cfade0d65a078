import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { newRunId } from "../../core/record/run-folder.ts";
import { bwrapProblem } from "../../sandbox/bwrap.ts";
import { SnapshotStore } from "../../sandbox/snapshots.ts";
import { git } from "../../sandbox/workspace.ts";
import { DEMO_HELP } from "./help.ts";
import { displayOf, evolutionOf, limitsOf, parseFlags, priceFor, sandboxOf } from "./run-flags.ts";
import { runSession, type SessionIO } from "../runtime/run.ts";

const DEMO = fileURLToPath(new URL("../runtime/demo/", import.meta.url));

/** The whole pipeline on a bundled sample repository, driven by a scripted model over real HTTP. */
export async function demoCommand(args: string[], io: SessionIO): Promise<number> {
  const flags = parseFlags(args, [
    "output", "action-format", "step-limit", "cost-limit", "time-limit", "timeout", "retries", "json", "keep",
    "evolved", "fresh", "no-evolve", "reminder", "sandbox", "mem-limit", "confirm", "theme", "screen-reader", "plain", "help",
  ]);
  if (flags.help) {
    io.stdout.write(DEMO_HELP);
    return 0;
  }
  const scriptFile = join(DEMO, "script.json");
  const banner = flags.json ? io.stderr : io.stdout;
  banner.write(
    `molt demo: the model is scripted. Its replies come from ${relative(process.cwd(), scriptFile) || scriptFile},\n` +
      "served over HTTP on 127.0.0.1 by molt's scripted OpenAI-compatible server: no API key, no network.\n" +
      "The repository, the workspace, the commands and the record are all real.\n\n",
  );
  // The demo runs a bundled script on a bundled repository: where bubblewrap cannot work, it says
  // so and runs unsandboxed rather than not at all (molt run refuses instead).
  const sandbox = sandboxOf(flags);
  const problem = flags.sandbox === undefined && sandbox.kind === "bwrap" ? bwrapProblem() : undefined;
  if (problem) {
    banner.write(`The demo's commands run unsandboxed: ${problem}. molt run refuses in that case; see docs/sandbox.md.\n\n`);
    sandbox.kind = "local";
    sandbox.network = "all";
  }
  const repo = await makeSampleRepo();
  // The demo's tools go to a library of its own, so molt's library is left as it was.
  const evolution = evolutionOf(flags);
  const evolvedDir = evolution.evolvedDir ?? join(dirname(repo), "evolved");
  const output = resolve(flags.output ?? join("molt-runs", newRunId()));
  try {
    return await runSession(
      {
        repo,
        base: undefined,
        issue: await readFile(join(DEMO, "issue.md"), "utf8"),
        model: "scripted-demo",
        baseUrl: undefined,
        apiKey: undefined,
        scriptFile,
        output,
        actionFormat: flags["action-format"],
        limits: limitsOf(flags),
        retries: flags.retries,
        price: priceFor("scripted-demo", flags),
        json: flags.json,
        keep: flags.keep,
        apply: false,
        ...evolution,
        evolvedDir,
        sandbox,
        requestTimeoutSec: flags["request-timeout"],
        display: displayOf(flags),
      },
      io,
    );
  } finally {
    // A kept workspace borrows the sample repository's objects, so it stays too.
    if (!flags.keep) {
      // The run's snapshots borrow them as well: they take their own copy, so replay works after the sample is gone.
      const snapshots = await SnapshotStore.open(join(output, "snapshots.git")).catch(() => undefined);
      await snapshots?.absorb((await git(repo).revparse("HEAD")).trim()).catch(() => undefined);
      await rm(dirname(repo), { recursive: true, force: true });
    }
  }
}

async function makeSampleRepo(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), "molt-demo-")), "tiny-durations");
  await cp(join(DEMO, "repo"), dir, { recursive: true });
  const identity = { GIT_AUTHOR_NAME: "molt demo", GIT_AUTHOR_EMAIL: "demo@molt.invalid", GIT_COMMITTER_NAME: "molt demo", GIT_COMMITTER_EMAIL: "demo@molt.invalid" };
  await git(dir, identity).init().add(".").commit("tiny-durations 1.2.0");
  return dir;
}
