// molt's benchmark: `npm run bench`. Prints one JSON object of measurements (not timed tests).
import { measureBatch } from "./batch.ts";
import { measureEvolution } from "./evolution.ts";
import { measureLiveView } from "./live-view.ts";
import { measureReplay } from "./replay.ts";
import { measureSandbox } from "./sandbox.ts";
import { measureSnapshots } from "./snapshots.ts";
import { measureTestResults } from "./test-results.ts";
import { makeBenchRepo, round, runSteps } from "./step-overhead.ts";

const { repo, dispose } = await makeBenchRepo();
try {
  const stepOverhead = async (extraArgs: string[]) => {
    const at200 = await runSteps(repo, 200, extraArgs);
    const at1000 = await runSteps(repo, 1000, extraArgs);
    return { at200, at1000, growth: round(at1000.overheadMsPerStep / at200.overheadMsPerStep) };
  };
  const result = {
    // The agent loop alone (--no-evolve), which the 2 ms target is for, step snapshots on (these
    // steps change no file: the file notifications say so, and no git process runs) ...
    stepOverhead: { ...(await stepOverhead(["--no-evolve"])), targets: { maxOverheadMsPerStep: 2, maxGrowth: 1.2 } },
    // ... and the default configuration, with self-evolution's scan, reminder and processes.
    stepOverheadWithEvolution: await stepOverhead([]),
    evolution: await measureEvolution(),
    sandbox: await measureSandbox(repo),
    liveView: await measureLiveView(60, 200),
    snapshots: {
      // What recording the repository after a step costs, on 1,000 files ...
      ...(await measureSnapshots()),
      // ... and the loop's overhead when the model takes 20 ms to answer: the snapshot is taken while it does.
      stepOverheadWith20MsModel: await runSteps(repo, 200, ["--no-evolve"], 20),
    },
    replay: await measureReplay(repo),
    // molt batch: instances per minute with 1, 2 and 4 workers, and an instance's setup and teardown.
    batch: await measureBatch(),
    // molt eval: reading a large test output and finding FAIL_TO_PASS / PASS_TO_PASS names in it.
    testResults: measureTestResults(),
  };
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
} finally {
  await dispose();
}
