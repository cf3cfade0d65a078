import { MOLT_VERSION } from "../../core/version.ts";

export const MAIN_HELP = `molt ${MOLT_VERSION}: a self-evolving software-engineering agent runtime

Usage: molt <command> [flags]

Commands:
  run     work an issue in a git repository and leave a patch
  demo    run the whole pipeline offline on a bundled sample repository, with a scripted model
  resume  carry on a run that was interrupted or killed, from its last completed step
  replay  step through a recorded run and its tools' evolution, print it, check out a step, re-run it
  runs    list the past runs (yours, or those in a folder), newest first
  batch   run SWE-bench-format instances, each as its own run, into preds.json; merge shards
  eval    run predicted patches against their instances' tests, sandboxed: report.json
  tools   the agent's tool library: list, show, log, rm
  config  show the configuration (prompts, limits, model settings) a run would use
  doctor  check an endpoint before a run: reachable, key, streaming, tool calls, usage, caching
  help    show help for a command: molt help run

Flags:
  -h, --help     show help
  -v, --version  print molt's version

Exit codes: 0 the agent submitted; 1 the run ended otherwise (limits, format errors, model
failure); 2 bad usage or bad input.

Environment: OPENAI_API_KEY, OPENAI_BASE_URL, MOLT_MODEL, MOLT_LIBRARY (the tool library),
MOLT_WORKSPACES (where workspaces go; default the temporary folder).
See the README for endpoints.
`;
