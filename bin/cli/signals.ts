/**
 * Ctrl-C and SIGTERM stop what is running cleanly: the first calls `stop`; the same signal again
 * forces the exit (130). A SIGTERM right after the terminal's SIGINT is the same request, not a
 * second one: a batch stopping its runs sends it to runs the terminal reached too. Returns a
 * function that takes the handlers away.
 */
export function onInterrupt(stop: () => void): () => void {
  let first: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (first === signal) process.exit(130);
    first ??= signal;
    stop();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
