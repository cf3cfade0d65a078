import { hostname, machine, release, type as systemName, version } from "node:os";
import type { RunSpec } from "../../core/run-spec.ts";

/**
 * The values a run's templates may read, as mini-SWE-agent gives them (later ones win): the
 * agent's configuration, the environment's (its folder, variables and timeout), the machine's
 * (Python's platform.uname()), the variables the commands see, and the model's configuration.
 * The task and the run's counters are added as each message is made.
 */
export function templateVars(spec: RunSpec, workspace: string, commandEnv: Record<string, string>): Record<string, unknown> {
  const { agent, model, limits, sandbox } = spec;
  return {
    system_template: agent.systemTemplate,
    instance_template: agent.instanceTemplate,
    step_limit: limits.stepLimit,
    cost_limit: limits.costLimit,
    wall_time_limit_seconds: limits.timeLimitSec,
    max_consecutive_format_errors: agent.formatErrorLimit,
    mode: agent.confirm ? "confirm" : "yolo",
    cwd: workspace,
    env: sandbox.env,
    timeout: limits.commandTimeoutSec,
    system: systemName(),
    node: hostname(),
    release: release(),
    version: version(),
    machine: machine(),
    processor: "",
    ...commandEnv,
    model_name: model.name,
    model_kwargs: model.kwargs,
    observation_template: agent.observationTemplate,
    format_error_template: agent.formatErrorTemplate,
    ...(agent.actionRegex !== undefined ? { action_regex: agent.actionRegex } : {}),
  };
}
