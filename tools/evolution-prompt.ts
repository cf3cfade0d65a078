/** What the agent is told about writing its own tools (Live-SWE-agent's invitation, with molt's contract). */

export interface AnnouncedTool {
  name: string;
  usage: string;
  description: string;
}

/** Short on purpose: it ends every observation, so every word of it is paid for again at every later step. */
export const DEFAULT_REMINDER = "[molt] Reflect: would a new or better tool help with the next steps? Write it to $MOLT_EVOLVED/<name>.ts.";

export function evolutionPrompt(folder: string, tools: readonly AnnouncedTool[]): string {
  const library =
    tools.length === 0
      ? "Your tool library is empty: the tools you write now are the first."
      : `These tools are loaded and ready, as commands on your PATH:\n${tools.map((tool) => `- ${tool.usage}\n  ${tool.description}`).join("\n")}`;
  return `## Your own tools

You can build tools for yourself while you work, and you should: start with at least one tool for editing
files (for example, replacing an exact snippet in a file and showing the lines around the change), and add
others whenever you notice you repeat something or a plain command is error-prone. A tool is a TypeScript
module in the folder $MOLT_EVOLVED (${folder}), written with any shell command (a heredoc is easiest):

\`\`\`ts
import { defineTool, z } from "molt/tool";
import { readFile } from "node:fs/promises";

export default defineTool({
  name: "count_lines",                       // must equal the file name: $MOLT_EVOLVED/count_lines.ts
  description: "Count the lines of a file",
  input: z.object({ path: z.string(), blank: z.boolean().default(true) }),
  examples: [{ input: { path: "package.json" } }],  // optional; run right after loading
  async run({ path, blank }, ctx) {          // ctx.cwd: the repository; ctx.exec(cmd, { timeoutMs })
    const text = await readFile(\`\${ctx.cwd}/\${path}\`, "utf8");
    return String(text.split("\\n").filter((line) => blank || line.trim() !== "").length);
  },
});
\`\`\`

After your command, molt checks the file (strict TypeScript, the contract above, allowed imports: "molt/tool",
node: built-ins and sibling files such as "./_util.ts"; files named _*.ts are helpers, not tools; a tool runs
commands with ctx.exec, not node:child_process) and tells
you at the end of the output whether the tool was loaded or why it was rejected. A loaded tool is a command
from your next step on: \`count_lines --path src/a.ts\` (flags from the schema) or \`count_lines '{"path": "src/a.ts"}'\`.
It prints the result and exits 0, exits 1 with the error when run throws, 2 when the input is invalid;
\`NAME --help\` prints its usage. Change a tool by rewriting its file; the new version replaces the old one.
Tool names are lowercase ([a-z][a-z0-9_]*) and must not shadow existing commands.

${library}`;
}
