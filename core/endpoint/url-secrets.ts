/** Query parameters whose values are credentials: api-key, access_token, sig, X-Amz-Credential, password… */
const SECRET_PARAMETER = /key|token|secret|passw|pwd|auth|sig|credential|session/i;

export interface UrlSecrets {
  /** The URL as it may be shown and recorded: its user information and secret query values replaced by [REDACTED]. */
  shown: string;
  /** The hidden values, as written in the URL and decoded. */
  secrets: string[];
}

/**
 * The secret parts of a URL (`https://user:pass@host/v1?api-key=…`): what to hide wherever the URL
 * is recorded or printed, while requests still go to the URL itself. Undefined when the text is
 * not a URL or holds nothing secret.
 */
export function urlSecrets(text: string): UrlSecrets | undefined {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^/?#@]*)@)?([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(text.trim());
  if (!match || !URL.canParse(text.trim())) return undefined;
  const [, scheme, userinfo, host, path, query, fragment] = match;
  const secrets: string[] = [];
  if (userinfo !== undefined && userinfo !== "") secrets.push(...userinfo.split(":").filter((part) => part !== ""));
  const shownQuery = query?.slice(1).split("&").map((pair) => {
    const equals = pair.indexOf("=");
    if (equals < 0 || !SECRET_PARAMETER.test(decoded(pair.slice(0, equals)))) return pair;
    const value = pair.slice(equals + 1);
    if (value !== "") secrets.push(value);
    return `${pair.slice(0, equals)}=[REDACTED]`;
  });
  if (secrets.length === 0) return undefined;
  const shown = `${scheme}${userinfo !== undefined && userinfo !== "" ? "[REDACTED]@" : ""}${host}${path}${shownQuery ? `?${shownQuery.join("&")}` : ""}${fragment ?? ""}`;
  return { shown, secrets: [...new Set(secrets.flatMap((secret) => [secret, decoded(secret)]))] };
}

/** The URL with its secret parts replaced by [REDACTED]; other text as it is. */
export function shownUrl(text: string): string {
  return urlSecrets(text)?.shown ?? text;
}

/** Text (an error message) with the secret parts of every URL in it replaced by [REDACTED]. */
export function hideUrlSecrets(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (found) => {
    // Punctuation that ends a sentence is not part of the URL.
    const trailing = /[.,;:!?)\]]*$/.exec(found)![0];
    const url = found.slice(0, found.length - trailing.length);
    return shownUrl(url) + trailing;
  });
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}
