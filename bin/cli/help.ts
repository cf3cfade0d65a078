import { MOLT_VERSION } from "../../core/version.ts";

export const MAIN_HELP = `molt ${MOLT_VERSION}: a self-evolving software-engineering agent runtime

Usage: molt <command> [flags]

Commands:
  run     work an issue in a git repository and leave a patch
  demo    run the whole pipeline offline on a bundled sample repository, with a scripted model
  resume  carry on a run that was interrupted or killed, from its last completed step
  replay  step through a recorded run and its tools' evolution, print it, check out a step, re-run it
  runs    list the past runs in a folder (default ./molt-runs), newest first
  batch   run SWE-bench-format instances, each as its own run, into preds.json; merge shards
  eval    run predicted patches against their instances' tests, sandboxed: report.json
  tools   the agent's tool library: list, show, log, rm
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

const RUN_FLAGS = `  --action-format F   how the model acts: tools (a bash function call; default) or text
                      (one \`\`\`bash block per reply)
  --step-limit N      stop after N model calls (default 250; 0 means no limit)
  --cost-limit USD    stop once the model calls cost this much (default 3; 0 means no limit)
  --time-limit SEC    stop after this many seconds (default: no limit)
  --timeout SEC       kill a command after this many seconds (default 60)
  --retries N         retry a failed model call up to N times, with backoff (default 4)
  --price-in USD      price of a million input tokens (default: molt's table; unknown models cost 0)
  --price-out USD     price of a million output tokens
  -o, --output DIR    where the run's files go (default ./molt-runs/<run id>)
  --json              print every event as one JSON line instead of the plain lines
  --plain             one plain line per step even on a terminal (no live view)
  --confirm           ask before every command: y runs it, n refuses it (and tells the agent
                      why), e edits it first
  --theme T           dark (default) or light, for light terminal backgrounds; NO_COLOR is honoured
  --screen-reader     words instead of symbols, no boxes, no animation
  --keep              keep the agent's workspace (a private clone) after the run

On a terminal, runs show live: the agent's thought as it streams, each command, its output
clipped to a few lines (all of it is in events.jsonl), its tools as they are written and loaded.
Keys: t tools panel (↑/↓ choose) · p pause after this step · Esc Esc or Ctrl-C stop the run
(a second Ctrl-C forces the exit) · q or Enter leave the final view.

Self-evolution (on by default): the agent writes its own tools into $MOLT_EVOLVED; molt
checks them, loads the good ones as commands, and keeps them in the library for later runs.
  --evolved DIR       the tool library (default: MOLT_LIBRARY, else molt's own evolved/ folder)
  --fresh             start with an empty library and keep nothing (Live-SWE-agent's setting)
  --no-evolve         no tools at all: the plain mini-SWE-agent loop, for comparison
  --reminder TEXT     the line that ends every observation, inviting a tool ("" for none)`;

export const RUN_HELP = `Usage: molt run --model NAME [--repo DIR] (--issue TEXT | --issue-file FILE | < issue.md) [flags]

Works an issue in a private clone of the repository at HEAD (or --base), then writes the
agent's change as patch.diff. Your checkout, its branches and its index are never changed,
unless you pass --apply.

  --repo DIR          the git repository to work on (default: the current folder)
  --base COMMIT       the commit to start from (default HEAD)
  --issue TEXT        the issue to resolve
  --issue-file FILE   read the issue from a file (or pipe it on standard input)
  --model NAME        the model (or MOLT_MODEL); script:FILE serves a JSON list of replies
                      from molt's scripted OpenAI-compatible server instead of a model
  --base-url URL      an OpenAI-compatible endpoint (or OPENAI_BASE_URL; default OpenAI).
                      The key comes from OPENAI_API_KEY; local servers need none.
  --apply             apply the patch to your checkout if the agent submitted and it applies cleanly
  --setup CMD         run CMD in the workspace, with network, before the agent starts (installing
                      dependencies); what it changes is the starting state, never the patch
${RUN_FLAGS}

The run folder holds events.jsonl (every event, one JSON line each, written as it happens),
patch.diff, <run id>.traj.json (mini-SWE-agent's trajectory layout), and snapshots.git (the
repository after each step that changed it, for molt replay; it borrows your repository's objects).
`;

export const DEMO_HELP = `Usage: molt demo [flags]

Runs molt end to end with no API key and no network: a small bundled repository with a real
bug and a failing test, an issue, and a scripted model served over HTTP on 127.0.0.1 by
molt's scripted OpenAI-compatible server. The model is scripted; everything else is real.

${RUN_FLAGS}
`;

export const TOOLS_HELP = `Usage: molt tools <action> [NAME] [--evolved DIR]

The tools the agent wrote and kept, and the history of every version it wrote.

  list              every tool: its version, status (kept, rejected, removed), uses, the run that made it
  show NAME[@vN]    the source of the kept version, or of version N
  log NAME          every version, with why it was rejected and a diff against the version before
  rm NAME           take the tool out of the library (its history stays)

  --evolved DIR     the tool library (default: MOLT_LIBRARY, else molt's own evolved/ folder)
`;

export const RESUME_HELP = `Usage: molt resume RUN_DIR [--model NAME] [--base-url URL] [--json] [--keep] [--apply]

Carries on a run that was interrupted (Ctrl-C, SIGTERM) or killed (kill -9, a power cut) from its
last completed step, in the same workspace and with the same settings. The conversation is rebuilt
from the run's events.jsonl, so the model calls already made are not paid for again; the run then
ends with the same files as one that was never stopped.

  --model NAME      another model (or the same one with a new key); default: the run's own
  --base-url URL    another endpoint; default: the run's own
  --json, --keep, --apply   as for molt run
`;

export const REPLAY_HELP = `Usage: molt replay RUN [--print | --json | --checkout STEP DIR | --exec] [flags]

RUN is a run's folder, its events.jsonl, or a *.traj.json (molt's own or mini-SWE-agent's, in any
of its layouts). On a terminal the run opens step by step; elsewhere it prints as --print does.

  --print             the timeline as text: each step's thought, command, clipped output and exit
                      code, each tool event with its verdict, the end, and the evolution summary
  --json              the run's events, one JSON line each
  --checkout STEP DIR write the repository as it was after step STEP (0: the start, after any
                      setup command) into DIR
  --exec              re-run the recorded replies, without a model, in a fresh workspace at the
                      same base commit (after the run's setup command, if it had one); report
                      each observation that differs and whether the patch is identical (exit 0
                      when it is, 1 when not)
  --evolved DIR       with --exec: the tool library to use and keep (default: a scratch copy of
                      the library as the run began)
  --output DIR        with --exec: where the re-run's files go (default: a temporary folder)
  --step N            open the view at step N
  --theme T, --screen-reader   as for molt run

Keys: ←/→ step · Home/End first/last · n/N next/previous evolution event · o full output ·
t tools at that step (↑/↓ choose) · d the step's change to the repository · D all changes so
far · ↑/↓ PgUp/PgDn scroll · Esc back to the step · q quit
`;

export const RUNS_HELP = `Usage: molt runs [DIR] [--json]

Lists the runs in DIR (default ./molt-runs, where molt run puts them), newest first: the run id,
the repository, the issue's first line, how the run ended (running/interrupted when it has not),
its steps and cost, the tools it created and the tool versions molt rejected, and when it started.
Folders holding a mini-SWE-agent *.traj.json are listed too; a folder whose record cannot be read
is listed with what is wrong with it.

  --json   an array of objects, one per run, instead of the table

Open one with molt replay DIR/<run id>.
`;

export const BATCH_HELP = `Usage: molt batch --instances FILE --output DIR --model NAME [flags]
       molt batch merge DIR... --output DIR

Runs every instance of FILE (SWE-bench format: JSON list, JSONL or Parquet) as its own molt run
in DIR/<instance_id>/, on N parallel workers, and keeps DIR/preds.json (SWE-bench's predictions)
and DIR/summary.json up to date as instances finish. Running the same command again skips the
instances that finished and runs the others afresh (their old folders go to DIR/.unfinished/).
One batch at a time writes to DIR. While an instance runs, the next one's workspace is made.

  --instances FILE    the instances: instance_id, repo, base_commit, problem_statement, and
                      optionally install_cmd (run before the agent, with network: molt run --setup)
  -o, --output DIR    where the runs, preds.json and summary.json go
  --model NAME        the model (or MOLT_MODEL); script:DIR serves DIR/<instance_id>.json to
                      each instance, script:FILE the same script to all
  --base-url URL      an OpenAI-compatible endpoint (or OPENAI_BASE_URL)
  --workers N         instances run at the same time (default 1)
  --workspaces DIR    where the instances' workspaces go (default: the temporary folder, or
                      MOLT_WORKSPACES); a tmpfs such as /dev/shm makes checking out quick
  --repos-dir DIR     find the repository owner/name in DIR/owner__name (default: clone it once
                      from GitHub into MOLT_REPO_CACHE, else ~/.cache/molt/repos); a local path or
                      file:// URL in repo is used as it is
  --config FILE       JSON or YAML: {"repos": {"owner/name": {"install_cmd": "..."}}}, for the
                      instances of that repository that have no install_cmd of their own
  --filter REGEX      only instances whose id matches
  --slice A:B         only these of them, as Python's list[A:B]
  --shard I/N         only those whose position in FILE modulo N is I (after --filter and --slice)
  --evolved DIR       the tool library the instances share and grow (default DIR/library): each
                      starts from it as it stands, and what it keeps is merged back when it ends
  --fresh             every instance starts with an empty library and keeps nothing
  --no-evolve         no self-evolution
  --action-format, --step-limit, --cost-limit, --time-limit, --timeout, --retries,
  --request-timeout, --price-in, --price-out, --sandbox, --mem-limit, --reminder:
                      passed to every run, as molt run takes them
  --theme dark|light  the live view's colours (on a terminal; NO_COLOR turns them off)
  --plain             one line per finished instance even on a terminal

--emit k8s prints, and does not run, a Kubernetes Indexed Job for the batch: N pods, --workers at a
time, pod I running molt batch over --shard I/N into MOUNT/shard-I (--output is not used). The
files the batch reads (the instances, --config, --repos-dir, a script:PATH model) are looked for at
the top of the volume, under their own names.
  --image IMAGE       the container image with molt and git in it (required)
  --volume-claim NAME the PersistentVolumeClaim the pods share, mounted at MOUNT (required)
  --secret NAME       the Secret whose key OPENAI_API_KEY is the model's key (required unless
                      the model is script: or --base-url is given)
  --shards N          how many pods in all (default: one per selected instance)
  --job-name NAME     the Job's name (default molt-batch)
  --mount-path MOUNT  where the volume is mounted in the pods (default /out)
  --sandbox S         the pods' sandbox: local (default; the pod is the boundary) or bwrap (the
                      container then runs privileged, which bubblewrap needs in a pod)

molt batch merge DIR... --output DIR combines the preds.json and summary.json of several batch
folders (the shards of one batch); an instance in two of them with different patches is refused.

Exit codes: 0 every selected instance finished; 1 some did not (run again to retry them);
2 bad usage or bad input.
`;

export const EVAL_HELP = `Usage: molt eval --instances FILE --preds FILE --output DIR [flags]

Evaluates each predicted patch against its SWE-bench instance, the way SWE-bench's harness does,
on this machine: a fresh workspace at base_commit, install_cmd (with network), the model's patch,
the test patch (over the test files as they were at base_commit), then the tests, sandboxed and
without network. Your repositories are never changed.

  --instances FILE    the instances (JSON list, JSONL or Parquet): instance_id, repo, base_commit,
                      test_patch, FAIL_TO_PASS, PASS_TO_PASS, and optionally test_cmd, install_cmd,
                      patch (the gold patch)
  --preds FILE        the predictions: preds.json ({id: {instance_id, model_patch}}), a list, or JSONL
  -o, --output DIR    where report.json and DIR/<instance_id>/ (test-output.txt, eval.log,
                      model.patch) go
  --repos-dir DIR     find the repository owner/name in DIR/owner__name (default: clone it once
                      from GitHub into MOLT_REPO_CACHE, else ~/.cache/molt/repos); a local path or
                      file:// URL in repo is used as it is
  --config FILE       JSON or YAML: {"repos": {"owner/name": {"install_cmd": "...", "test_cmd":
                      "..."}}}, for the instances of that repository without their own
  --workers N         instances evaluated at the same time (default 1)
  --timeout SEC       time for one instance, install and tests included (default 1800)
  --sandbox S         bwrap (default on Linux) or local (no isolation)

The tests run with test_cmd; without one, pytest -rA on the test patch's Python files when the
tests are named path::test, else npm test when package.json has a test script, else the instance
is an error. When the output of a known runner (node's test runner, mocha, jest, vitest, pytest)
names tests, the instance is resolved iff every FAIL_TO_PASS and PASS_TO_PASS test passed, a test
the output does not mention counting as failed; otherwise exit code 0 means resolved. A name
matches a reported test by its full name, else by its last parts (title, or suites and title)
joined by " > ", " › ", "::" or a space. A patch that does not apply is an error; an empty one is
unresolved. Where the instance has a gold patch, the reward column is SWE-RL's: the similarity of
the two patches, 0 to 1, and −1 for a patch that is not a unified diff.

report.json holds SWE-bench's keys (resolved_ids, unresolved_ids, error_ids, empty_patch_ids, …)
and each instance's status, reason, named tests by verdict, exit code, time and reward. Ctrl-C
stops cleanly: the tests in flight are killed, and the instances not evaluated are in
incomplete_ids. Workspaces go under MOLT_WORKSPACES (default: the temporary folder).

Exit codes: 0 the evaluation ran to its end (whatever it found); 1 it was stopped first; 2 bad
usage or bad input.
`;
