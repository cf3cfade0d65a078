/** Flags for the Node processes molt starts on its own TypeScript: Node 22.12 to 22.17 strip types only when asked to. */
export const TYPE_FLAGS: string[] = process.features.typescript ? [] : ["--experimental-strip-types", "--disable-warning=ExperimentalWarning"];

const PERMISSION = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";

/**
 * Flags that take from a Node process the right to start processes (Node's permission model, which
 * holds for its worker threads too), and leave it the file system (which the sandbox bounds) and
 * worker threads. The tool host runs so: what a tool runs, the command that called it runs.
 */
export const NO_PROCESS_FLAGS: string[] = [PERMISSION, "--allow-fs-read=*", "--allow-fs-write=*", "--allow-worker", "--disable-warning=SecurityWarning"];
