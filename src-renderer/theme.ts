// Light and dark themes: the researcher's choice (system, light or dark) is kept in localStorage; the
// resolved theme is set on <html data-theme> so styles.css (and Monaco) read one attribute.
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];
const KEY = 'steplab.theme';

export function resolveTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  return choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
}

export function parseThemeChoice(value: string | null | undefined): ThemeChoice {
  return (THEME_CHOICES as readonly string[]).includes(value ?? '') ? (value as ThemeChoice) : 'system';
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function loadThemeChoice(): ThemeChoice {
  return parseThemeChoice(storage()?.getItem(KEY));
}

export function saveThemeChoice(choice: ThemeChoice): void {
  storage()?.setItem(KEY, choice);
}

const darkQuery = (): MediaQueryList => window.matchMedia('(prefers-color-scheme: dark)');

/** Sets <html data-theme> from the choice now and whenever the system scheme changes; returns a stop function. */
export function applyTheme(choice: ThemeChoice): () => void {
  const q = darkQuery();
  const set = (): void => {
    const theme = resolveTheme(choice, q.matches);
    document.documentElement.dataset.theme = theme;
    document.documentElement.style.colorScheme = theme;
  };
  set();
  q.addEventListener('change', set);
  return () => q.removeEventListener('change', set);
}

/** The theme in force now (for canvases and editors that pick their own colours). */
export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}
