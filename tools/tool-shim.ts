// A loaded tool as a command: `NAME --field value ...` or `NAME '<json>'`. It hands the call to
// the tool host over its socket, runs the commands the tool asks for (ctx.exec) here, in the
// calling command's sandbox and under its limits, and prints what the tool answered, with the
// tool's exit code. When this command ends, so does the call, and everything it started.
//
// `tool-shim --relay TOKEN` serves ctx.exec for a tool's examples: molt runs it as a command.
import { connect } from "node:net";
import { endAllExecs, runExec } from "./tool-exec.ts";
import type { ExecOrder, FinalReply } from "./tool-protocol.ts";

const [name = "", ...args] = process.argv.slice(2);
const relay = name === "--relay";
const socketPath = process.env.MOLT_TOOL_SOCKET;

function fail(message: string): never {
  process.stderr.write(`${relay ? "molt relay" : name}: ${message}\n`);
  endAllExecs();
  process.exit(1);
}

if (name === "") {
  process.stderr.write("usage: tool-shim NAME [ARGS...]: the command of a loaded molt tool\n");
  process.exit(2);
}
if (!socketPath) fail("MOLT_TOOL_SOCKET is not set: molt's tools run only inside a molt run");
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  process.on(signal, () => {
    endAllExecs();
    process.exit(128 + (signal === "SIGHUP" ? 1 : signal === "SIGINT" ? 2 : 15));
  });
}

const socket = connect(socketPath);
let buffer = "";
let reply: FinalReply | undefined;
socket.on("connect", () => socket.write(JSON.stringify(relay ? { relay: args[0] ?? "" } : { tool: name, args }) + "\n"));
socket.on("data", (chunk) => {
  buffer += chunk.toString("utf8");
  for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    const message = parse(line);
    if (message?.type === "exec") {
      void runExec(message).then((outcome) => {
        if (!socket.destroyed) socket.write(JSON.stringify({ type: "exec-done", id: message.id, ...outcome }) + "\n");
      });
    } else if (message?.type === "reply") {
      reply = message;
    }
  }
});
socket.on("error", (error) => fail(`cannot reach molt's tool host (${error.message})`));
socket.on("close", () => {
  endAllExecs();
  if (relay) process.exit(0);
  if (!reply) fail("the tool host gave no answer");
  process.stdout.write(reply.stdout);
  process.stderr.write(reply.stderr);
  process.exitCode = reply.exitCode;
});

function parse(line: string): ExecOrder | FinalReply | undefined {
  try {
    return JSON.parse(line) as ExecOrder | FinalReply;
  } catch {
    return undefined;
  }
}
