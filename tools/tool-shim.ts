// A loaded tool as a command: `NAME --field value ...` or `NAME '<json>'`. It hands the call to
// the tool host over its socket and prints what the tool answered, with the tool's exit code.
import { connect } from "node:net";

const [name = "", ...args] = process.argv.slice(2);
const socketPath = process.env.MOLT_TOOL_SOCKET;

function fail(message: string): never {
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(1);
}

if (name === "") {
  process.stderr.write("usage: tool-shim NAME [ARGS...]: the command of a loaded molt tool\n");
  process.exit(2);
}
if (!socketPath) fail("MOLT_TOOL_SOCKET is not set: molt's tools run only inside a molt run");
const socket = connect(socketPath);
let answer = "";
socket.on("connect", () => socket.write(JSON.stringify({ tool: name, args }) + "\n"));
socket.on("data", (chunk) => (answer += chunk.toString("utf8")));
socket.on("error", (error) => fail(`cannot reach molt's tool host (${error.message})`));
socket.on("end", () => {
  let reply: { exitCode: number; stdout: string; stderr: string };
  try {
    reply = JSON.parse(answer) as typeof reply;
  } catch {
    fail("the tool host gave no answer");
  }
  process.stdout.write(reply.stdout);
  process.stderr.write(reply.stderr);
  process.exitCode = reply.exitCode;
});
