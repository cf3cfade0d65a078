import { z } from "zod";
import { Totals } from "../events/events.ts";

/**
 * What molt reads of a mini-SWE-agent trajectory, in all three of its shapes. Only `messages` must be
 * right; everything in `info` is gleaned where it has the expected type and ignored where it has not.
 */

/** A field that is used when it has this type and dropped (not an error) when it has another. */
function gleaned<T extends z.ZodType>(schema: T) {
  return schema.optional().catch(undefined);
}

const ContentPart = z.looseObject({ type: z.string().optional(), text: z.string().optional() });

export const WireToolCall = z.looseObject({
  id: z.string().nullish(),
  function: z.looseObject({
    name: z.string(),
    // Some providers hand the arguments over as an object rather than a JSON string.
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
  }),
});
export type WireToolCall = z.infer<typeof WireToolCall>;

export const WireMessage = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
  tool_calls: z.array(WireToolCall).nullish(),
  tool_call_id: z.string().nullish(),
  extra: gleaned(z.record(z.string(), z.unknown())),
});
export type WireMessage = z.infer<typeof WireMessage>;

const Info = z.looseObject({
  exit_status: gleaned(z.string()),
  submission: gleaned(z.string()),
  model_stats: gleaned(z.looseObject({ instance_cost: gleaned(z.number().nonnegative()), api_calls: gleaned(z.number().int().nonnegative()) })),
  config: gleaned(
    z.looseObject({
      model: gleaned(
        z.looseObject({
          model_name: gleaned(z.string()),
          observation_template: gleaned(z.string()),
          format_error_template: gleaned(z.string()),
        }),
      ),
      agent: gleaned(
        z.looseObject({
          step_limit: gleaned(z.number().nonnegative()),
          cost_limit: gleaned(z.number().nonnegative()),
          system_template: gleaned(z.string()),
          instance_template: gleaned(z.string()),
          action_observation_template: gleaned(z.string()),
          format_error_template: gleaned(z.string()),
          max_consecutive_format_errors: gleaned(z.number().int().nonnegative()),
          mode: gleaned(z.string()),
        }),
      ),
      environment: gleaned(z.looseObject({ timeout: gleaned(z.number().positive()) })),
    }),
  ),
  mini_version: gleaned(z.string()),
  /** What molt adds to the trajectories it writes (core/trajectory.ts). */
  molt: gleaned(
    z.looseObject({
      runId: z.string(),
      version: gleaned(z.string()),
      model: gleaned(z.string()),
      repo: gleaned(z.string()),
      baseCommit: gleaned(z.string()),
      totals: gleaned(Totals),
    }),
  ),
});
export type TrajectoryInfo = z.infer<typeof Info>;

export const MiniTrajectory = z.looseObject({
  info: gleaned(Info),
  messages: z.array(WireMessage),
  trajectory_format: gleaned(z.string()),
});
export type MiniTrajectory = z.infer<typeof MiniTrajectory>;

/** Reads any of the three shapes into one, or says in one line what is wrong with the data. */
export function parseMiniTrajectory(data: unknown): { ok: true; trajectory: MiniTrajectory } | { ok: false, problem: string } {
  // The oldest files hold the messages alone.
  const parsed = Array.isArray(data) ? MiniTrajectory.safeParse({ messages: data }) : MiniTrajectory.safeParse(data);
  if (parsed.success) return { ok: true, trajectory: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? issue.path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("").replace(/^\./, "") : "";
  const field = Array.isArray(data) && where.startsWith("messages") ? where.slice("messages".length) || "the list" : where;
  return { ok: false, problem: `${field ? `${field}: ` : ""}${issue?.message ?? "invalid"}` };
}

/** A message's text: content parts are joined, parts that are not text (images) are named. */
export function textOf(message: WireMessage): string {
  const content = message.content;
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((part) => part.text ?? `[${part.type ?? "content"}]`).join("\n");
}
