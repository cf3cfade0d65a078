/**
 * Hides secrets (molt's API key) in anything about to be recorded or shown: every string inside
 * the value, however deep, has each secret replaced. Short values are left alone: hiding every
 * "abc" would mangle the record without protecting anything.
 */
export function redactor(secrets: readonly (string | undefined)[]): <T>(value: T) => T {
  const hidden = secrets.filter((secret): secret is string => secret !== undefined && secret.length >= 8);
  if (hidden.length === 0) return (value) => value;
  const scrub = (text: string) => (hidden.some((secret) => text.includes(secret)) ? hidden.reduce((out, secret) => out.split(secret).join("[REDACTED]"), text) : text);
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") return scrub(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, walk(inner)]));
    return value;
  };
  return <T>(value: T) => walk(value) as T;
}
