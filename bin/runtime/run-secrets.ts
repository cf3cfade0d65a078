import { urlSecrets } from "../../core/endpoint/url-secrets.ts";
import { FRAGMENT_CHARS, REDACTED, Redactor } from "../../core/events/redact.ts";
import type { RunSpec } from "../../core/run-spec.ts";

/** Headers that carry credentials: Authorization, X-API-Key, api-key, X-Auth-Token, Cookie… */
const CREDENTIAL_HEADER = /auth|key|token|secret|passw|cookie|session|signature|credential/i;

/** The secrets a run knows of, from outside its spec. */
export interface KnownSecrets {
  /** The endpoint's key. */
  apiKey?: string | undefined;
  /** Headers sent with every request (--header): their values. */
  headers?: Record<string, string> | undefined;
}

/**
 * What a run hides in everything it records or shows: the endpoint's key and header values, the
 * secret parts of its base URL (the URL itself is still used for requests), and the values of the
 * variables passed to commands with --pass-env (their names look like secrets, and commands can
 * print them).
 */
export function runRedactor(spec: RunSpec, known: KnownSecrets, env: NodeJS.ProcessEnv = process.env): Redactor {
  const secrets: (string | undefined)[] = [known.apiKey];
  const replacements: (readonly [string, string])[] = [];
  const hide = (value: string) => {
    const inUrl = urlSecrets(value);
    if (inUrl) {
      secrets.push(...inUrl.secrets);
      replacements.push([value, inUrl.shown]);
      if (URL.canParse(value)) replacements.push([new URL(value).href, inUrl.shown]);
    } else if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value)) {
      // A URL with nothing secret-looking in it is a secret as a whole (a webhook's address): hidden where it is seen whole.
      replacements.push([value, REDACTED]);
    } else if (!isPath(value)) secrets.push(value);
  };
  for (const [name, value] of Object.entries(known.headers ?? {})) {
    // A credential is hidden in pieces too; other headers (HTTP-Referer, X-Title), whole, where they are seen whole.
    if (CREDENTIAL_HEADER.test(name)) hide(value);
    else if (value.length >= FRAGMENT_CHARS) replacements.push([value, REDACTED]);
  }
  if (spec.model.baseUrl !== undefined && urlSecrets(spec.model.baseUrl)) hide(spec.model.baseUrl);
  for (const name of spec.sandbox.passEnv) {
    const value = env[name];
    if (value !== undefined && value !== "") hide(value);
  }
  return new Redactor(secrets, replacements);
}

/**
 * A value that names a file (GOOGLE_APPLICATION_CREDENTIALS=/home/me/key.json) is not itself the
 * secret: the file is, and the sandbox decides who reads it. Hiding every piece of a path would
 * hide every path that shares them.
 */
function isPath(value: string): boolean {
  return /^(~|\.{1,2})?\/\S*$/.test(value);
}
