'use client';
import { useState } from 'react';
import { formatStrategy, parseStrategy } from '#/lib/core/chunk/params';
import type { StrategyParams } from '#/lib/core/chunk/strategy';
import { hasStrategy } from '#/lib/browser/compare-session';

interface Props {
  /** Strategies offered, in the order the table lists them. */
  strategies: StrategyParams[];
  /** Labels (formatStrategy) of the chosen strategies. */
  chosen: string[];
  filesystem: boolean;
  onChange: (change: { strategies?: StrategyParams[]; chosen?: string[]; filesystem?: boolean }) => void;
  disabled?: boolean;
}

/** Renders checkboxes over the strategies, a field to add another one, and the filesystem switch. */
export function CompareStrategyPicker({ strategies, chosen, filesystem, onChange, disabled }: Props) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();

  const toggle = (label: string, on: boolean) =>
    onChange({ chosen: on ? [...chosen, label] : chosen.filter((l) => l !== label) });

  const add = () => {
    let strategy: StrategyParams;
    try {
      strategy = parseStrategy(text.trim());
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    setError(undefined);
    setText('');
    const label = formatStrategy(strategy);
    onChange({
      strategies: hasStrategy(strategies, strategy) ? strategies : [...strategies, strategy],
      chosen: chosen.includes(label) ? chosen : [...chosen, label],
    });
  };

  return (
    <fieldset className="picker">
      <legend>Strategies</legend>
      <ul aria-label="Strategies" className="strategy-list">
        {strategies.map((strategy) => {
          const label = formatStrategy(strategy);
          return (
            <li key={label}>
              <label>
                <input
                  type="checkbox"
                  disabled={disabled}
                  checked={chosen.includes(label)}
                  onChange={(event) => toggle(label, event.target.checked)}
                />{' '}
                {label}
              </label>
            </li>
          );
        })}
      </ul>
      <form
        className="controls"
        onSubmit={(event) => {
          event.preventDefault();
          add();
        }}
      >
        <label>
          Another strategy{' '}
          <input
            aria-label="Another strategy"
            placeholder="content-defined:8KiB,32KiB,128KiB"
            size={34}
            value={text}
            disabled={disabled}
            onChange={(event) => setText(event.target.value)}
          />
        </label>
        <button type="submit" disabled={disabled || text.trim() === ''}>
          Add
        </button>
        <label>
          <input
            type="checkbox"
            checked={filesystem}
            disabled={disabled}
            onChange={(event) => onChange({ filesystem: event.target.checked })}
          />{' '}
          Filesystem-aware (read tar entries)
        </label>
      </form>
      {error && (
        <p className="error" role="alert">
          Couldn&apos;t add the strategy: {error}
        </p>
      )}
      <p className="muted">
        Text form: <code>fixed-size:64KiB</code>, <code>file-boundary:1MiB</code> or{' '}
        <code>content-defined:MIN,AVG,MAX</code>, as the command line&apos;s <code>--strategies</code> takes.
      </p>
    </fieldset>
  );
}
