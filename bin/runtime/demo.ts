import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SnapshotStore } from "../../sandbox/snapshots.ts";
import { runGit } from "../../sandbox/git-run.ts";

/** The demo's bundled sample: a small repository with a real bug, its issue, and the scripted model's replies. */
const SAMPLE = fileURLToPath(new URL("./demo/", import.meta.url));
export const DEMO_SCRIPT = join(SAMPLE, "script.json");

export function sampleIssue(): Promise<string> {
  return readFile(join(SAMPLE, "issue.md"), "utf8");
}

export interface SampleRepo {
  /** A fresh git repository of the sample, in a temporary folder of its own. */
  repo: string;
  /** A tool library of the demo's own beside it, so that the user's is left as it was. */
  library: string;
  /** Removes the sample (unless the run's workspace was kept: it borrows the sample's objects). */
  dispose(run: { keep: boolean; output: string }): Promise<void>;
}

export async function makeSampleRepo(): Promise<SampleRepo> {
  const repo = join(await mkdtemp(join(tmpdir(), "molt-demo-")), "tiny-durations");
  await cp(join(SAMPLE, "repo"), repo, { recursive: true });
  const identity = { GIT_AUTHOR_NAME: "molt demo", GIT_AUTHOR_EMAIL: "demo@molt.invalid", GIT_COMMITTER_NAME: "molt demo", GIT_COMMITTER_EMAIL: "demo@molt.invalid" };
  await runGit(repo, {}, ["init", "--quiet"]);
  await runGit(repo, {}, ["add", "."]);
  await runGit(repo, identity, ["commit", "--quiet", "--no-gpg-sign", "-m", "tiny-durations 1.2.0"]);
  return {
    repo,
    library: join(dirname(repo), "evolved"),
    async dispose({ keep, output }) {
      if (keep) return;
      // The run's snapshots borrow the sample's objects too: they take their own copy, so replay works after the sample is gone.
      const snapshots = await SnapshotStore.open(join(output, "snapshots.git")).catch(() => undefined);
      await snapshots?.absorb((await runGit(repo, {}, ["rev-parse", "HEAD"])).trim()).catch(() => undefined);
      await rm(dirname(repo), { recursive: true, force: true });
    },
  };
}
