// Self-evolution's costs: checking and loading a tool (cold and warm), and calling a loaded tool.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CommandExecutor } from "../sandbox/command-executor.ts";
import { DEFAULT_LIMITS } from "../sandbox/limits.ts";
import { makeSocketFolder } from "../sandbox/socket-folder.ts";
import { SOCKET_NAME, ToolHostClient } from "../tools/tool-host-client.ts";
import { ValidatorClient } from "../tools/validator-client.ts";
import { round } from "./step-overhead.ts";

const MOLT_ROOT = fileURLToPath(new URL("..", import.meta.url));

function tool(name: string, variant: number): string {
  return `import { defineTool, z } from "molt/tool";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export default defineTool({
  name: "${name}",
  description: "Count the words in a file (variant ${variant})",
  input: z.object({ path: z.string(), min: z.number().default(${variant}) }),
  async run({ path, min }, ctx) {
    const words = (await readFile(join(ctx.cwd, path), "utf8")).split(/\\s+/).filter(Boolean);
    return String(Math.max(words.length, min));
  },
});
`;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
}

interface Setup {
  folder: string;
  workspace: string;
  validator: ValidatorClient;
  host: ToolHostClient;
  close(): Promise<void>;
}

async function setUp(): Promise<Setup> {
  const root = await mkdtemp(join(tmpdir(), "molt-bench-evolve-"));
  const folder = join(root, "evolved");
  const workspace = join(root, "repo");
  await mkdir(join(folder, "node_modules"), { recursive: true });
  await symlink(MOLT_ROOT, join(folder, "node_modules", "molt"), "dir");
  await mkdir(workspace);
  await writeFile(join(workspace, "words.txt"), "one two three\n");
  const validator = new ValidatorClient(process.env.PATH ?? "");
  const host = ToolHostClient.start({ dir: join(root, "tools"), socketFolder: makeSocketFolder(SOCKET_NAME), workspace, env: { PATH: process.env.PATH ?? "" }, callTimeoutMs: 60_000 });
  await host.ready;
  return {
    folder,
    workspace,
    validator,
    host,
    close: async () => {
      await host.stop();
      await validator.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Writes a version of a tool, checks it and loads it; returns the milliseconds it took. */
async function validateAndLoad(setup: Setup, name: string, variant: number): Promise<number> {
  const file = join(setup.folder, `${name}.ts`);
  await writeFile(file, tool(name, variant));
  const started = performance.now();
  const checked = await setup.validator.validate(file, `evolved/${name}.ts`);
  if (!checked.ok) throw new Error(`bench tool rejected: ${checked.diagnostics[0]?.message}`);
  const loaded = await setup.host.load(name, variant, file);
  if (!loaded.ok) throw new Error(`bench tool not loaded: ${loaded.reason}`);
  return performance.now() - started;
}

export async function measureEvolution() {
  // Cold: a new validator and tool host, and at once the first tool of the run (the worst case:
  // in a run the validator warms up while the model writes its first reply).
  const cold: number[] = [];
  for (let run = 0; run < 5; run++) {
    const setup = await setUp();
    cold.push(await validateAndLoad(setup, "count_words", 1));
    await setup.close();
  }

  const setup = await setUp();
  try {
    await validateAndLoad(setup, "count_words", 1);
    const warm: number[] = [];
    for (let variant = 2; variant <= 31; variant++) warm.push(await validateAndLoad(setup, variant % 2 ? "count_words" : "count_lines", variant));

    // A loaded tool called from the agent's shell, against `true` in the same shell.
    const executor = new CommandExecutor({
      cwd: setup.workspace,
      env: { PATH: `${setup.host.binDir}:${process.env.PATH ?? ""}`, ...setup.host.commandEnv },
      timeoutSec: 60,
      limits: { ...DEFAULT_LIMITS, cpuSec: 60 },
      sandbox: { kind: "local", writable: [], readOnly: [], home: setup.workspace, network: "all" },
    });
    const plain: number[] = [];
    const withTool: number[] = [];
    for (let index = 0; index < 30; index++) {
      plain.push((await executor.execute("true")).ms);
      const result = await executor.execute("count_words --path words.txt");
      if (result.output.trim() !== "3" && !result.output.startsWith("31")) throw new Error(`tool call failed: ${result.output}`);
      withTool.push(result.ms);
    }
    const overhead = withTool.map((ms, index) => ms - plain[index]!);
    return {
      validateAndLoadMs: {
        cold: { p50: percentile(cold, 50), p95: percentile(cold, 95), samples: cold.length },
        warm: { p50: percentile(warm, 50), p95: percentile(warm, 95), samples: warm.length },
        targets: { coldMax: 1500, warmP50Max: 100 },
      },
      toolCallOverheadMs: { p50: percentile(overhead, 50), p95: percentile(overhead, 95), truePlainP50: percentile(plain, 50), target: { p50Max: 60 } },
    };
  } finally {
    await setup.close();
  }
}
