import { fileURLToPath } from "node:url";

/** The folder molt is installed in: its modules and the toolchain that runs it stay readable in every sandbox. */
export const MOLT_ROOT: string = fileURLToPath(new URL("..", import.meta.url));
