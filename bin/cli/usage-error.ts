/** The user asked for something molt cannot do as asked: one line on stderr, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
