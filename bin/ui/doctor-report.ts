import type { DoctorFailure, DoctorReport } from "../runtime/doctor.ts";
import { formatMs, oneLine } from "./format.ts";

type State = "ok" | "warn" | "failed" | "skipped";
const MARK: Record<State, string> = { ok: "✓", warn: "!", failed: "✗", skipped: "·" };
const WIDTH = 72;

/** `molt doctor`'s report: one line per check, then what to change. */
export function doctorReport(report: DoctorReport): string {
  const lines: [string, State, string][] = [];
  const advice: string[] = [];
  const failure = report.failure;
  const plain = report.plain;

  if (plain) {
    lines.push(["reachable", "ok", `answered in ${formatMs(plain.ms)}${plain.firstChunkMs !== undefined ? ` (first chunk after ${formatMs(plain.firstChunkMs)})` : ""}`]);
    lines.push(["key accepted", "ok", report.keySent ? "yes" : "no key sent, and the endpoint asked for none"]);
    lines.push(["model", "ok", plain.content.trim() ? `answered: ${oneLine(plain.content, WIDTH)}` : "answered (an empty reply)"]);
    lines.push(["streaming", "ok", `${plain.chunks} chunk${plain.chunks === 1 ? "" : "s"}, finish reason ${plain.finishReason ?? "none"}`]);
  } else if (failure) {
    lines.push(...firstRequestLines(failure));
  }
  if (failure) advice.push(adviceFor(failure));

  const actionName = report.actionFormat === "tools" ? "tool calls" : "bash blocks";
  if (report.action?.ok) lines.push([actionName, "ok", `bash: ${oneLine(report.action.command ?? "", WIDTH)}`]);
  else if (report.action) {
    lines.push([actionName, "failed", `asked for a command, the model sent ${oneLine(report.action.instead, WIDTH) || "an empty reply"}`]);
    advice.push(
      report.actionFormat === "tools"
        ? "the model does not call the bash tool here: run with --action-format text (it writes ```bash blocks instead)"
        : "the model does not write ```bash blocks when asked: try --action-format tools, or another model",
    );
  } else if (failure?.request === "action") lines.push([actionName, "failed", failure.message]);
  else lines.push([actionName, "skipped", "not asked"]);

  for (const parameter of report.dropped) lines.push(["parameters", "warn", `the endpoint does not take "${parameter}": dropped (drop_params)`]);
  if (plain) {
    if (report.usage) lines.push(["usage", "ok", `${report.usage.promptTokens} tokens in, ${report.usage.completionTokens} out`]);
    else {
      lines.push(["usage", "warn", "the endpoint reports no token counts"]);
      advice.push("without token counts every step costs $0, so --cost-limit cannot stop a run: set --step-limit or --time-limit");
    }
    lines.push(["cached tokens", report.cachedField ? "ok" : "warn", report.cachedField ? `reported (${report.cachedField})` : "not reported: all input is priced as fresh"]);
    lines.push(["reasoning", "ok", report.reasoningChars > 0 ? `streamed (${report.reasoningChars} characters), shown live and recorded` : "none streamed"]);
    lines.push(["cache marks", "ok", report.cacheControl === "default_end" ? "on the last message (default_end)" : "none (endpoints that cache by prefix still do)"]);
  }

  const width = Math.max(...lines.map(([name]) => name.length));
  const out = [`molt doctor: ${report.model} at ${report.endpoint}`, ...lines.map(([name, state, detail]) => `  ${MARK[state]} ${name.padEnd(width)}  ${detail}`)];
  out.push(report.ok ? "molt can run with this endpoint." : "molt cannot run with this endpoint as it is:");
  for (const line of advice) out.push(`  - ${line}`);
  return out.join("\n") + "\n";
}

/** The first request failed: what that says about the endpoint. */
function firstRequestLines(failure: DoctorFailure): [string, State, string][] {
  if (failure.status === undefined && failure.kind === "unreachable") return [["reachable", "failed", failure.message], ["key accepted", "skipped", "not asked"]];
  const reachable: [string, State, string] = ["reachable", "ok", failure.status === undefined ? "answered" : `answered HTTP ${failure.status}`];
  if (failure.kind === "key") return [reachable, ["key accepted", "failed", failure.message]];
  return [reachable, ["key accepted", "ok", "no complaint about the key"], [failure.kind === "model" ? "model" : "request", "failed", failure.message]];
}

function adviceFor(failure: DoctorFailure): string {
  switch (failure.kind) {
    case "parameter":
      return `leave "${failure.parameter}" out of --model-kwargs (or model.model_kwargs), or add "drop_params": true`;
    case "context":
      return "the endpoint's context window is smaller than a two-message request: serve the model with a larger context";
    case "unreachable":
      return "check --base-url (or OPENAI_BASE_URL): is the server running, and does the URL end where /chat/completions is (often /v1)?";
    case "key":
      return "set OPENAI_API_KEY to a key this endpoint accepts (some providers also want --header NAME:VALUE)";
    case "model":
      return "check --model (a name the endpoint lists at /models) and that --base-url ends where /chat/completions is (often /v1)";
    case "busy":
      return "the endpoint is busy or failing: try again later (runs retry such failures with backoff, --retries)";
    case "refused":
      return "the endpoint refused the request: check --model-kwargs and --header against its documentation";
  }
}
