import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { InputError } from "../input-error.ts";

const RepoSettings = z.strictObject({
  install_cmd: z.string().min(1, "is empty").optional(),
  test_cmd: z.string().min(1, "is empty").optional(),
});

/** `--config FILE`: commands per repository, for instances that bring none of their own. */
export const RepoConfig = z.strictObject({
  repos: z.record(z.string().min(1), RepoSettings),
});
export type RepoConfig = z.infer<typeof RepoConfig>;

/** Reads a JSON or YAML config file; anything wrong with it is a InputError of one line. */
export async function readRepoConfig(file: string): Promise<RepoConfig> {
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read the config file ${file}: ${error.code === "ENOENT" ? "no such file" : (error.code ?? "failed")}`);
  });
  let value: unknown;
  try {
    value = extname(file).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n", 1)[0]!.replace(/:$/, "") : String(error);
    throw new InputError(`${file}: not valid ${extname(file).toLowerCase() === ".json" ? "JSON" : "YAML or JSON"} (${message})`);
  }
  const parsed = RepoConfig.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${file}: not a molt config (${issue?.path.join(".") || "its top"}: ${issue?.message ?? "invalid"}); expected {"repos": {"owner/name": {"install_cmd": "...", "test_cmd": "..."}}}`);
  }
  return parsed.data;
}

/** The instance with its repository's commands filled in where it has none: the instance's own win. */
export function withRepoConfig<T extends { repo: string; install_cmd?: string | undefined; test_cmd?: string | undefined }>(instance: T, config: RepoConfig | undefined): T {
  const settings = config?.repos[instance.repo];
  if (!settings) return instance;
  return {
    ...instance,
    install_cmd: instance.install_cmd?.trim() ? instance.install_cmd : settings.install_cmd,
    test_cmd: instance.test_cmd?.trim() ? instance.test_cmd : settings.test_cmd,
  };
}
