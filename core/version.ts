import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The folder molt is installed in. */
export const MOLT_ROOT: string = fileURLToPath(new URL("..", import.meta.url));

export const MOLT_VERSION: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
