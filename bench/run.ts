// molt's benchmark: `npm run bench`. Prints one JSON object of measurements (not timed tests).
import { measureEvolution } from "./evolution.ts";
import { makeBenchRepo, round, runSteps } from "./step-overhead.ts";

const { repo, dispose } = await makeBenchRepo();
try {
  const at200 = await runSteps(repo, 200);
  const at1000 = await runSteps(repo, 1000);
  const evolution = await measureEvolution();
  const result = {
    stepOverhead: {
      at200,
      at1000,
      growth: round(at1000.overheadMsPerStep / at200.overheadMsPerStep),
      targets: { maxOverheadMsPerStep: 2, maxGrowth: 1.2 },
    },
    evolution,
  };
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
} finally {
  await dispose();
}
