import { z } from "zod";
import type { ExecOutcome } from "./contract.ts";

/**
 * The messages between molt, its tool host, the host's worker threads and the tool commands.
 *
 * A tool runs in the host, but every process it starts (ctx.exec) is started by the command that
 * called it, in that command's sandbox and under its limits: the host asks the tool command over
 * the socket, and the command answers with the outcome. So a tool's processes end with its call.
 */

/** A tool command (the shim on the agent's PATH) opens its connection with this line. */
export const CallRequest = z.object({
  tool: z.string(),
  args: z.array(z.string()),
});
export type CallRequest = z.infer<typeof CallRequest>;

/** A relay opens its connection with this line: a command molt ran to serve a tool's ctx.exec while its examples run. */
export const RelayRequest = z.object({ relay: z.string() });

export const OpeningLine = z.union([CallRequest, RelayRequest]);

export interface CallReply {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** host -> tool command: run this for the tool, in the workspace. */
export interface ExecOrder {
  type: "exec";
  id: number;
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
}

/** tool command -> host: how an ExecOrder went. */
export const ExecDone = z.object({
  type: z.literal("exec-done"),
  id: z.number().int(),
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
});
export type ExecDone = z.infer<typeof ExecDone>;

/** host -> tool command: the tool's answer; the host ends the connection after it. */
export type FinalReply = { type: "reply" } & CallReply;

export interface WorkerData {
  cwd: string;
  /** The memory limits a tool runs into, in words, for an allocation that failed. */
  memoryLimits: string;
}

export type WorkerRequest =
  | { type: "load"; file: string }
  | { type: "call"; id: number; args: string[] }
  | { type: "examples"; id: number }
  | ({ type: "exec-done"; execId: number } & ExecOutcome);

export type WorkerReply =
  | { type: "idle" }
  | { type: "ready"; usage: string; description: string }
  | { type: "failed"; reason: string }
  | { type: "examples"; failure: string | undefined }
  | ({ type: "result"; id: number } & CallReply)
  | { type: "exec"; callId: number; execId: number; command: string; timeoutMs: number };

/** molt -> host, over the IPC channel. */
export type HostRequest =
  | { type: "load"; id: number; name: string; version: number; file: string }
  | { type: "unload"; name: string };

/** host -> molt. */
export type HostReply =
  | { type: "ready" }
  | { type: "loaded"; id: number; usage: string; description: string; ms: number }
  | { type: "rejected"; id: number; stage: "load" | "examples"; reason: string; ms: number }
  | { type: "called"; name: string; version: number; args: string[]; exitCode: number; ms: number }
  /** A tool's examples want to run a command: molt runs a relay, as it runs the agent's commands. */
  | { type: "relay"; token: string };
