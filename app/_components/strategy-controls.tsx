'use client';
import type { StrategyName, StrategyParams } from '#/lib/core/chunk/strategy';

export interface StrategyForm {
  name: StrategyName;
  chunkSizeKiB: number;
  minKiB: number;
  avgKiB: number;
  maxKiB: number;
  filesystem: boolean;
}

export const DEFAULT_FORM: StrategyForm = {
  name: 'fixed-size',
  chunkSizeKiB: 64,
  minKiB: 16,
  avgKiB: 64,
  maxKiB: 256,
  filesystem: true,
};

/** Returns the strategy parameters, in bytes, that the form describes. */
export function strategyFromForm(form: StrategyForm): StrategyParams {
  if (form.name === 'content-defined') {
    return { name: form.name, min: form.minKiB * 1024, avg: form.avgKiB * 1024, max: form.maxKiB * 1024 };
  }
  return { name: form.name, chunkSize: form.chunkSizeKiB * 1024 };
}

function NumberField(props: { label: string; value: number; onChange: (value: number) => void; disabled?: boolean }) {
  return (
    <label>
      {props.label}{' '}
      <input
        type="number"
        min={1}
        step={1}
        style={{ width: 80 }}
        value={props.value}
        disabled={props.disabled}
        aria-label={props.label}
        onChange={(event) => props.onChange(Number(event.target.value))}
      />
    </label>
  );
}

export function StrategyControls(props: { form: StrategyForm; onChange: (form: StrategyForm) => void; disabled?: boolean }) {
  const { form, onChange, disabled } = props;
  const set = (patch: Partial<StrategyForm>) => onChange({ ...form, ...patch });
  return (
    <div className="controls">
      <label>
        Strategy{' '}
        <select
          aria-label="Strategy"
          value={form.name}
          disabled={disabled}
          onChange={(event) => set({ name: event.target.value as StrategyName })}
        >
          <option value="fixed-size">fixed-size</option>
          <option value="file-boundary">file-boundary</option>
          <option value="content-defined">content-defined (FastCDC)</option>
        </select>
      </label>
      {form.name === 'content-defined' ? (
        <>
          <NumberField label="Min KiB" value={form.minKiB} disabled={disabled} onChange={(minKiB) => set({ minKiB })} />
          <NumberField label="Avg KiB" value={form.avgKiB} disabled={disabled} onChange={(avgKiB) => set({ avgKiB })} />
          <NumberField label="Max KiB" value={form.maxKiB} disabled={disabled} onChange={(maxKiB) => set({ maxKiB })} />
        </>
      ) : (
        <NumberField
          label="Chunk size KiB"
          value={form.chunkSizeKiB}
          disabled={disabled}
          onChange={(chunkSizeKiB) => set({ chunkSizeKiB })}
        />
      )}
      <label>
        <input
          type="checkbox"
          checked={form.filesystem}
          disabled={disabled}
          onChange={(event) => set({ filesystem: event.target.checked })}
        />{' '}
        Filesystem-aware (read tar entries)
      </label>
    </div>
  );
}
