/** Flags for the Node processes molt starts on its own TypeScript: Node 22.12 to 22.17 strip types only when asked to. */
export const TYPE_FLAGS: string[] = process.features.typescript ? [] : ["--experimental-strip-types", "--disable-warning=ExperimentalWarning"];
