// One loaded tool version, in a worker thread of the tool host. A tool that loops or calls
// process.exit ends this thread, never the host: the host starts a fresh one. The thread starts
// idle, with the contract already imported, and loads its tool when asked: loading is then quick.
// No process starts here (the host runs without the right to start one): ctx.exec asks the
// command that called the tool to run its command, in that command's sandbox.
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { isToolDefinition, type ExecOutcome, type ToolContext, type ToolDefinition } from "./contract.ts";
import { parseToolArgs, usageLine } from "./tool-args.ts";
import type { CallReply, WorkerData, WorkerReply, WorkerRequest } from "./tool-protocol.ts";

const { cwd, memoryLimits } = workerData as WorkerData;
const port = parentPort!;
const DEFAULT_EXEC_TIMEOUT_MS = 30_000;

/** ctx.exec calls waiting for the tool command to say how they went. */
const execs = new Map<number, (outcome: ExecOutcome) => void>();
let nextExec = 0;

/**
 * The context of one call (or of the examples): its ctx.exec goes, through the host, to the
 * command that made the call, which runs the command itself.
 */
function contextFor(callId: number): ToolContext {
  return {
    cwd,
    exec(command, options = {}) {
      const execId = nextExec++;
      return new Promise((resolve) => {
        execs.set(execId, resolve);
        reply({ type: "exec", callId, execId, command, timeoutMs: options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS });
      });
    },
  };
}

async function call(tool: ToolDefinition, id: number, args: string[]): Promise<CallReply> {
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    return { exitCode: 0, stdout: `${tool.description}\nusage: ${usageLine(tool.name, tool.input)}\n`, stderr: "" };
  }
  const parsed = parseToolArgs(args, tool.input);
  if (!parsed.ok) return { exitCode: 2, stdout: "", stderr: `${tool.name}: ${parsed.error}\nusage: ${usageLine(tool.name, tool.input)}\n` };
  try {
    const result = await tool.run(parsed.input as never, contextFor(id));
    const text = String(result);
    return { exitCode: 0, stdout: text.endsWith("\n") || text === "" ? text : `${text}\n`, stderr: "" };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A buffer the host's memory limit refused: say which limit.
    const memory = error instanceof RangeError && /allocat/i.test(message) ? ` (out of memory: ${memoryLimits})` : "";
    return { exitCode: 1, stdout: "", stderr: `${tool.name}: ${message}${memory}\n` };
  }
}

async function runExamples(tool: ToolDefinition, id: number): Promise<string | undefined> {
  const context = contextFor(id);
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
  if (request.type === "exec-done") {
    const { execId, exitCode, stdout, stderr } = request;
    execs.get(execId)?.({ exitCode, stdout, stderr });
    execs.delete(execId);
  } else if (request.type === "load") {
    void load(request.file).then((loaded) => {
      tool = loaded;
      if (!loaded) process.exit(0);
    });
  } else if (!tool) {
    if (request.type === "call") reply({ type: "result", id: request.id, exitCode: 1, stdout: "", stderr: "molt: no tool is loaded here\n" });
  } else if (request.type === "examples") {
    void runExamples(tool, request.id).then((failure) => reply({ type: "examples", failure }));
  } else {
    void call(tool, request.id, request.args).then((result) => reply({ type: "result", id: request.id, ...result }));
  }
});
reply({ type: "idle" });
