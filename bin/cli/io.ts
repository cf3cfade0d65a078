/** Where a command writes: the process's streams, or a worker's stand-ins. */
export interface CommandIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** A terminal on both ends, and not CI: where live views and prompts can work. */
export function isInteractive(io: CommandIO, env: NodeJS.ProcessEnv = process.env): boolean {
  return io.stdout.isTTY === true && process.stdin.isTTY === true && !env.CI;
}
