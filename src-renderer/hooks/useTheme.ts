// The theme in force, kept current: <html data-theme> changes when the researcher picks another theme or
// the system's scheme changes, and pictures drawn elsewhere (the evaluation chart) are fetched again.
import { useEffect, useState } from 'react';
import { currentTheme, type Theme } from '../theme';

export function useTheme(): Theme {
  const [theme, setTheme] = useState<Theme>(currentTheme);
  useEffect(() => {
    const mo = new MutationObserver(() => setTheme(currentTheme()));
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => mo.disconnect();
  }, []);
  return theme;
}
