// A launch form's config, edited two ways at once: through the form's fields and as JSON text. A form
// edit rewrites the JSON; a JSON edit moves the form while the text is a JSON object, else it says why
// not. And its Start: refused in the form while the config has a problem, else the job's id or the core's
// refusal. The job launch form and the cycle launch form both hold their config and their Start here.
import { useCallback, useState } from 'react';
import { describeError } from '../errors';
import { parseConfigText, type Config } from './form';

/** A config as the JSON editor shows it. */
export const prettyConfig = (c: Config): string => JSON.stringify(c, null, 2);

export interface ConfigEditorState {
  config: Config;
  /** the JSON editor's text */
  text: string;
  /** why the text is not a config (not JSON, not an object), or null */
  textError: string | null;
  /** a form edit, a kind chosen, a reset: the config replaced, the JSON follows */
  replace(next: Config): void;
  /** a JSON edit: the form follows while the text is a JSON object */
  editText(text: string): void;
}

export function useConfigEditor(initial: Config): ConfigEditorState {
  const [config, setConfig] = useState<Config>(initial);
  const [text, setText] = useState(() => prettyConfig(initial));
  const [textError, setTextError] = useState<string | null>(null);
  const replace = useCallback((next: Config): void => {
    setConfig(next);
    setText(prettyConfig(next));
    setTextError(null);
  }, []);
  const editText = useCallback((t: string): void => {
    setText(t);
    const parsed = parseConfigText(t);
    if ('config' in parsed) {
      setConfig(parsed.config);
      setTextError(null);
    } else {
      setTextError(parsed.error);
    }
  }, []);
  return { config, text, textError, replace, editText };
}

export interface LaunchState {
  busy: boolean;
  /** the last Start's refusal (the form's, or the core's in its one line), or null */
  error: string | null;
  /** the id of the job the last Start started, or null */
  started: number | null;
  setError(error: string | null): void;
  setStarted(id: number | null): void;
  /**
   * Start: refused in the form while the JSON text is not a config (`textError`) or the config has a schema
   * issue (`issue`, one line), else `start()` runs and its job's id, or its refusal, is kept
   */
  launch(problem: { textError: string | null; issue: string | null }, start: () => Promise<{ id: number }>): Promise<void>;
}

export function useLaunch(): LaunchState {
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const launch = useCallback(async ({ textError, issue }: { textError: string | null; issue: string | null }, start: () => Promise<{ id: number }>): Promise<void> => {
    setStarted(null);
    if (textError) return setError(textError);
    if (issue) return setError(`the config has a problem: ${issue}; fix it in the form or the JSON`);
    setBusy(true);
    try {
      const job = await start();
      setError(null);
      setStarted(job.id);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, started, setError, setStarted, launch };
}
