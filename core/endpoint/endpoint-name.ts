import { shownUrl } from "./url-secrets.ts";

/** The endpoint as a user can check it: scheme, host, port and path ("https://api.openai.com:443/v1"). */
export function endpointName(baseUrl: string | undefined): string {
  const url = new URL(baseUrl ?? "https://api.openai.com/v1");
  const port = url.port || (url.protocol === "https:" ? "443" : url.protocol === "http:" ? "80" : "");
  return `${url.protocol}//${url.hostname}${port ? `:${port}` : ""}${url.pathname.replace(/\/$/, "")}`;
}

/** Why a base URL cannot be used, in a few words; undefined when it can. */
export function baseUrlProblem(baseUrl: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(baseUrl)) return `it has no scheme: write ${shownUrl(`http://${baseUrl}`)} (or https://)`;
  if (!URL.canParse(baseUrl)) return "it is not a URL";
  const url = new URL(baseUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") return `molt speaks http and https, not ${url.protocol.replace(/:$/, "")}`;
  if (url.port !== "" && BAD_PORTS.has(Number(url.port))) return `port ${url.port} is one that HTTP clients refuse to use ("bad port"); use another port`;
  return undefined;
}

/** The ports the fetch standard forbids: Node's fetch refuses them before connecting. */
const BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137,
  139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723,
  2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);
