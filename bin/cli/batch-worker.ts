// A batch worker process: serves the batch's jobs over its IPC channel, one after another, in this
// process (bin/runtime/batch/run-server.ts), so that Node's start and molt's modules are paid once
// per worker rather than once per instance. Its crash is its own: the batch records the instance
// in flight as crashed and starts another worker. Started by the batch's WorkerPool.
import * as nodeModule from "node:module";

// The same as bin/molt: the stripped and compiled sources are cached between processes.
nodeModule.enableCompileCache?.();
const { RunServer } = await import("../runtime/batch/run-server.ts");
const { WorkerRequest } = await import("../runtime/batch/worker-protocol.ts");

const server = new RunServer((reply) => {
  if (process.connected) process.send?.(reply);
}, process.env.OPENAI_API_KEY || undefined);

process.on("message", (message: unknown) => {
  const request = WorkerRequest.safeParse(message);
  if (request.success) server.handle(request.data);
});
// The batch is gone (it ended, or was killed): end the run in flight as an interrupt would, remove
// what the runs leave, then exit.
process.on("disconnect", () => {
  void server.stop().then(() => process.exit(0));
});
process.send?.({ type: "ready" });
