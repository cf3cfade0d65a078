import { relative, resolve, join } from "node:path";
import { runsFolder } from "../../core/data-folder.ts";
import { newRunId } from "../../core/record/run-folder.ts";
import { DEMO_SCRIPT, makeSampleRepo, sampleIssue, type SampleRepo } from "../runtime/demo.ts";
import { prepareRun } from "../runtime/run.ts";
import { flagHelp, parseFlags, pick } from "./flags.ts";
import type { CommandIO } from "./io.ts";
import { presentRun, viewKindOf } from "./run-display.ts";
import { configurationOf } from "./run-configuration.ts";
import { displayOf, evolutionOf, limitsOf, modelSpecOf, RUN_FLAGS, sandboxOf } from "./run-flags.ts";
import { EVOLUTION_FLAGS, EVOLUTION_TEXT, LIVE_KEYS } from "./run-command.ts";
import { bwrapProblem } from "../../sandbox/bwrap.ts";

export const DEMO_FLAGS = pick(RUN_FLAGS, [
  "config", "action-format", "step-limit", "cost-limit", "time-limit", "timeout", "format-error-limit", "retries", "output", "json", "plain", "confirm", "theme",
  "screen-reader", "keep", "sandbox", "mem-limit", "evolved", "fresh", "no-evolve", "reminder", "help",
]);

export function demoHelp(): string {
  return `Usage: molt demo [flags]

Runs molt end to end with no API key and no network: a small bundled repository with a real
bug and a failing test, an issue, and a scripted model served over HTTP on 127.0.0.1 by
molt's scripted OpenAI-compatible server. The model is scripted; everything else is real.

${flagHelp(pick(DEMO_FLAGS, ["config", "action-format", "step-limit", "cost-limit", "time-limit", "timeout", "format-error-limit", "retries", "output", "json", "plain", "confirm", "theme", "screen-reader", "keep", "sandbox", "mem-limit"]))}

${LIVE_KEYS}

${EVOLUTION_TEXT}
${flagHelp(pick(DEMO_FLAGS, EVOLUTION_FLAGS))}
`;
}

/** The whole pipeline on a bundled sample repository, driven by a scripted model over real HTTP. */
export async function demoCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseFlags(DEMO_FLAGS, args);
  if (values.help) {
    io.stdout.write(demoHelp());
    return 0;
  }
  const configuration = configurationOf(values, io.stderr);
  const display = displayOf(values, process.env, configuration);
  const view = viewKindOf(display, io);
  const banner = values.json ? io.stderr : io.stdout;
  banner.write(
    `molt demo: the model is scripted. Its replies come from ${relative(process.cwd(), DEMO_SCRIPT) || DEMO_SCRIPT},\n` +
      "served over HTTP on 127.0.0.1 by molt's scripted OpenAI-compatible server: no API key, no network.\n" +
      "The repository, the workspace, the commands and the record are all real.\n\n",
  );
  // The demo runs a bundled script on a bundled repository: where bubblewrap cannot work, it says
  // so and runs unsandboxed rather than not at all (molt run refuses instead).
  const sandbox = sandboxOf(values, configuration);
  const problem = values.sandbox === undefined && sandbox.kind === "bwrap" ? bwrapProblem() : undefined;
  if (problem) {
    banner.write(`The demo's commands run unsandboxed: ${problem}. molt run refuses in that case; see docs/sandbox.md.\n\n`);
    sandbox.kind = "local";
    sandbox.network = "all";
  }
  const sample: SampleRepo = await makeSampleRepo();
  const output = resolve(values.output ?? join(runsFolder(), newRunId()));
  try {
    // The demo's tools go to a library of its own, so molt's library is left as it was.
    const evolution = evolutionOf(values, process.env);
    const spec = {
      repo: sample.repo,
      issue: await sampleIssue(),
      agent: configuration.agent,
      model: { ...modelSpecOf("scripted-demo", undefined, values, configuration), script: DEMO_SCRIPT },
      limits: limitsOf(configuration),
      sandbox,
      evolution: { ...evolution, library: evolution.library ?? sample.library },
    };
    const prepared = await prepareRun(spec, { output, keep: values.keep });
    return await presentRun(prepared, display, view, io);
  } finally {
    await sample.dispose({ keep: values.keep, output });
  }
}
