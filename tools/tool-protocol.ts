import { z } from "zod";

/** The messages between molt, its tool host, the host's worker threads and the tool commands. */

/** A tool command (the shim on the agent's PATH) asks the host over its socket. */
export const CallRequest = z.object({
  tool: z.string(),
  args: z.array(z.string()),
});
export type CallRequest = z.infer<typeof CallRequest>;

export interface CallReply {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface WorkerData {
  cwd: string;
  env: Record<string, string>;
}

export type WorkerRequest = { type: "load"; file: string } | { type: "call"; id: number; args: string[] } | { type: "examples" };

export type WorkerReply =
  | { type: "idle" }
  | { type: "ready"; usage: string; description: string }
  | { type: "failed"; reason: string }
  | { type: "examples"; failure: string | undefined }
  | ({ type: "result"; id: number } & CallReply);

/** molt -> host, over the IPC channel. */
export type HostRequest =
  | { type: "load"; id: number; name: string; version: number; file: string }
  | { type: "unload"; name: string };

/** host -> molt. */
export type HostReply =
  | { type: "ready" }
  | { type: "loaded"; id: number; usage: string; description: string; ms: number }
  | { type: "rejected"; id: number; stage: "load" | "examples"; reason: string; ms: number }
  | { type: "called"; name: string; version: number; args: string[]; exitCode: number; ms: number };
