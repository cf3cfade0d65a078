import { isSocketVariable } from "./host-sockets.ts";

/**
 * Names that look like credentials; commands never see them unless passed on purpose. Besides
 * KEY, TOKEN, SECRET and PASSWORD anywhere: PASSWD and CREDENTIAL anywhere, and AUTH, PAT, PASS
 * and PWD as words of the name (NPM_CONFIG__AUTH, DOCKER_AUTH_CONFIG, GH_PAT, DB_PASS, MYSQL_PWD),
 * which leaves GIT_AUTHOR_NAME, PATH, PWD and OLDPWD alone.
 */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|(^|_)(AUTH|PAT|PASS)(_|$)|_PWD$/i;

/** A URL with a password in it (postgres://user:password@host/db): a credential whatever its name. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@:\s]*:[^/?#@\s]+@/i;

/** Whether a variable holds a credential, by its name or by its value. */
export function isSecretVariable(name: string, value: string): boolean {
  return SECRET_NAME.test(name) || URL_WITH_PASSWORD.test(value);
}

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
    if ((isSecretVariable(name, value) || MOLT_SETTING.test(name) || isSocketVariable(name, value)) && !passNames.includes(name)) continue;
    env[name] = value;
  }
  return { ...env, ...NON_INTERACTIVE, ...extra };
}
