import { z } from "zod";
import { diagnose } from "../runtime/doctor.ts";
import { doctorReport } from "../ui/doctor-report.ts";
import { flag, flagHelp, parseFlags, pick } from "./flags.ts";
import type { CommandIO } from "./io.ts";
import { configurationOf } from "./run-configuration.ts";
import { endpointOf, headersOf, modelSpecOf, RUN_FLAGS } from "./run-flags.ts";

export const DOCTOR_FLAGS = {
  ...pick(RUN_FLAGS, ["model", "base-url", "config", "model-kwargs", "header", "cache-control", "action-format"]),
  "request-timeout": flag({
    value: "SEC",
    schema: RUN_FLAGS["request-timeout"].schema.removeDefault().default(60),
    help: "give up on a request that has not answered after this many seconds (default 60)",
  }),
  json: flag({ schema: z.boolean().default(false), help: "the findings as one JSON object instead of the report" }),
  ...pick(RUN_FLAGS, ["help"]),
};

export function doctorHelp(): string {
  return `Usage: molt doctor --model NAME [--base-url URL] [flags]

Checks that molt can work with an endpoint before a run spends anything: one small request, then
one that asks for a command in the run's action format, each sent as a run sends it (the same
parameters, headers and cache marks; no retries). The report says whether the endpoint is
reachable, takes the key (OPENAI_API_KEY), streams, calls tools, reports token usage and cached
tokens, streams reasoning, and how long it took; then what to change. Exit 0 when a run can work
with the endpoint as configured, 1 when not.

${flagHelp(pick(DOCTOR_FLAGS, ["model", "base-url", "config", "model-kwargs", "header", "cache-control", "action-format", "request-timeout", "json"]))}
`;
}

/** `molt doctor`: two small requests to an endpoint, and what they show. */
export async function doctorCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseFlags(DOCTOR_FLAGS, args);
  if (values.help) {
    io.stdout.write(doctorHelp());
    return 0;
  }
  const configuration = configurationOf(values, io.stderr);
  const endpoint = endpointOf(values, process.env, configuration);
  const spec = modelSpecOf(endpoint.model, endpoint.baseUrl, values, configuration);
  const report = await diagnose(spec, { apiKey: endpoint.apiKey, headers: headersOf(values) });
  io.stdout.write(values.json ? JSON.stringify(report, null, 2) + "\n" : doctorReport(report));
  return report.ok ? 0 : 1;
}
