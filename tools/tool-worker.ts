// One loaded tool version, in a worker thread of the tool host. A tool that loops or calls
// process.exit ends this thread, never the host: the host starts a fresh one. The thread starts
// idle, with the contract already imported, and loads its tool when asked: loading is then quick.
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { isToolDefinition, type ExecOutcome, type ToolContext, type ToolDefinition } from "./contract.ts";
import { parseToolArgs, usageLine } from "./tool-args.ts";
import type { CallReply, WorkerData, WorkerReply, WorkerRequest } from "./tool-protocol.ts";

const { cwd, env } = workerData as WorkerData;
const port = parentPort!;
const EXEC_OUTPUT_LIMIT = 1 << 20;

function exec(command: string, options: { timeoutMs?: number } = {}): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", command], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const out = { stdout: "", stderr: "" };
    const keep = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      if (out[stream].length < EXEC_OUTPUT_LIMIT) out[stream] += chunk.toString("utf8");
    };
    child.stdout.on("data", keep("stdout"));
    child.stderr.on("data", keep("stderr"));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    }, options.timeoutMs ?? 30_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ exitCode: 127, stdout: "", stderr: error.message });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 137 : 1), ...out });
    });
  });
}

const context: ToolContext = { cwd, exec };

async function call(tool: ToolDefinition, args: string[]): Promise<CallReply> {
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    return { exitCode: 0, stdout: `${tool.description}\nusage: ${usageLine(tool.name, tool.input)}\n`, stderr: "" };
  }
  const parsed = parseToolArgs(args, tool.input);
  if (!parsed.ok) return { exitCode: 2, stdout: "", stderr: `${tool.name}: ${parsed.error}\nusage: ${usageLine(tool.name, tool.input)}\n` };
  try {
    const result = await tool.run(parsed.input as never, context);
    const text = String(result);
    return { exitCode: 0, stdout: text.endsWith("\n") || text === "" ? text : `${text}\n`, stderr: "" };
  } catch (error) {
    return { exitCode: 1, stdout: "", stderr: `${tool.name}: ${error instanceof Error ? error.message : String(error)}\n` };
  }
}

async function runExamples(tool: ToolDefinition): Promise<string | undefined> {
  for (const [index, example] of (tool.examples ?? []).entries()) {
    const parsed = tool.input.safeParse(example.input);
    if (!parsed.success) return `example ${index + 1} has an input the schema refuses: ${parsed.error.issues[0]?.message ?? "invalid"}`;
    let output: string;
    try {
      output = String(await tool.run(parsed.data as never, context));
    } catch (error) {
      return `example ${index + 1} threw: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (example.expect !== undefined && !output.includes(example.expect)) {
      const shown = output.length > 200 ? `${output.slice(0, 200)}…` : output;
      return `example ${index + 1} failed: expected the output to contain ${JSON.stringify(example.expect)}, got ${JSON.stringify(shown)}`;
    }
  }
  return undefined;
}

function reply(message: WorkerReply): void {
  port.postMessage(message);
}

async function load(file: string): Promise<ToolDefinition | undefined> {
  try {
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    if (!isToolDefinition(module.default)) throw new Error("its default export is not the result of defineTool(...)");
    reply({ type: "ready", usage: usageLine(module.default.name, module.default.input), description: module.default.description });
    return module.default;
  } catch (error) {
    reply({ type: "failed", reason: `it threw while loading: ${error instanceof Error ? error.message : String(error)}` });
    return undefined;
  }
}

let tool: ToolDefinition | undefined;
port.on("message", (request: WorkerRequest) => {
  if (request.type === "load") {
    void load(request.file).then((loaded) => {
      tool = loaded;
      if (!loaded) process.exit(0);
    });
  } else if (!tool) {
    if (request.type === "call") reply({ type: "result", id: request.id, exitCode: 1, stdout: "", stderr: "molt: no tool is loaded here\n" });
  } else if (request.type === "examples") {
    void runExamples(tool).then((failure) => reply({ type: "examples", failure }));
  } else {
    void call(tool, request.args).then((result) => reply({ type: "result", id: request.id, ...result }));
  }
});
reply({ type: "idle" });
