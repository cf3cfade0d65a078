// What the benchmarks build their runs from. (Benchmarks, like shipped code, never import test/.)
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { loadConfiguration } from "../core/config/configuration.ts";
import type { EventOf } from "../core/events/events.ts";
import type { RunSpec } from "../core/run-spec.ts";

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** A run_started event's fields for a run that never ran: for benchmarks that write records by hand. */
export function startedFields(fields: { runId: string; outputDir: string; spec?: Partial<RunSpec> }): Omit<EventOf<"run_started">, "type" | "ts"> {
  return {
    runId: fields.runId,
    moltVersion: "bench",
    spec: {
      repo: "/src/bench",
      base: "0".repeat(40),
      issue: "bench",
      agent: loadConfiguration([]).agent,
      model: { name: "bench", actionFormat: "tools", retries: 0, requestTimeoutSec: 60, price: { inPerMTok: 0, outPerMTok: 0 }, kwargs: {} },
      limits: { stepLimit: 0, costLimit: 0, timeLimitSec: 0, commandTimeoutSec: 60 },
      sandbox: { kind: "local", network: "all", allowDomains: [], memLimitBytes: 2 ** 30, passEnv: [], env: {} },
      evolution: { enabled: true, fresh: false },
      ...fields.spec,
    },
    workspace: "/tmp/bench/repo",
    outputDir: fields.outputDir,
    sandbox: "local",
  };
}

/** A tool the benchmark's agent writes: it counts a file's lines. */
export const LINE_COUNT_TOOL = `import { defineTool, z } from "molt/tool";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export default defineTool({
  name: "count_lines",
  description: "Count the lines of a file",
  input: z.object({ path: z.string() }),
  async run({ path }, ctx) {
    return \`\${(await readFile(join(ctx.cwd, path), "utf8")).split("\\n").length} lines\`;
  },
});
`;

/** The command by which the agent writes a tool into its evolved folder. */
export function writeToolCommand(name: string, source: string): string {
  return `cat > "$MOLT_EVOLVED/${name}.ts" <<'MOLT_EOF'\n${source}MOLT_EOF`;
}
