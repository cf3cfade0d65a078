/**
 * Colours by role, so that the view reads on dark and light backgrounds alike, and not at all
 * when NO_COLOR asks for none. Only the terminal's own sixteen colours are used: themes the user
 * picked for their terminal keep working.
 */
export interface Theme {
  accent: string | undefined;
  ok: string | undefined;
  bad: string | undefined;
  warn: string | undefined;
  tool: string | undefined;
  /** Secondary text: dimmed rather than grey, which vanishes on some light backgrounds. */
  dim: boolean;
}

export type ThemeName = "dark" | "light";

const THEMES: Record<ThemeName, Theme> = {
  dark: { accent: "cyan", ok: "green", bad: "red", warn: "yellow", tool: "magenta", dim: true },
  // Yellow and cyan wash out on white; their darker neighbours do not.
  light: { accent: "blue", ok: "green", bad: "red", warn: "magenta", tool: "blue", dim: true },
};

const PLAIN: Theme = { accent: undefined, ok: undefined, bad: undefined, warn: undefined, tool: undefined, dim: false };

export function themeFor(name: ThemeName, env: NodeJS.ProcessEnv): Theme {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return PLAIN;
  return THEMES[name];
}
