import { isSocketVariable } from "./host-sockets.ts";

/** Names that look like credentials; commands never see them unless passed on purpose. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD/i;

/** Settings that keep tools from waiting on a terminal that is not there. */
const NON_INTERACTIVE: Record<string, string> = {
  PAGER: "cat",
  GIT_PAGER: "cat",
  MANPAGER: "cat",
  LESS: "-R",
  GIT_TERMINAL_PROMPT: "0",
  PIP_PROGRESS_BAR: "off",
  TQDM_DISABLE: "1",
};

/** molt's own settings (MOLT_LIBRARY, MOLT_WORKSPACES, …): the agent's commands get only those molt gives them in `extra`. */
const MOLT_SETTING = /^MOLT_/;

/** The environment variables a command sees: the user's, minus secrets and molt's settings, plus `extra`. */
export function commandEnv(
  base: NodeJS.ProcessEnv,
  extra: Record<string, string>,
  passNames: readonly string[] = [],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if ((SECRET_NAME.test(name) || MOLT_SETTING.test(name) || isSocketVariable(name, value)) && !passNames.includes(name)) continue;
    env[name] = value;
  }
  return { ...env, ...NON_INTERACTIVE, ...extra };
}
