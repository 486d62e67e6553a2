'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import type { DragEvent } from 'react';
import { formatBytes } from '#/lib/core/format';
import { useImport } from '../_hooks/use-import';
import { ImportSummary } from './import-summary';
import { LayerProgressList } from './layer-progress';
import { DEFAULT_FORM, StrategyControls, strategyFromForm } from './strategy-controls';
import type { StrategyForm } from './strategy-controls';

interface Sample {
  file: string;
  title: string;
  description: string;
}

function useSamples(): Sample[] {
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => {
    fetch('/samples/samples.json')
      .then((response) => (response.ok ? response.json() : []))
      .then(setSamples, () => setSamples([]));
  }, []);
  return samples;
}

async function fetchSample(sample: Sample): Promise<File> {
  const response = await fetch(`/samples/${sample.file}`);
  if (!response.ok) throw new Error(`sample ${sample.file}: HTTP ${response.status}`);
  return new File([await response.blob()], sample.file, { type: 'application/x-tar' });
}

export function ImportPanel() {
  const { state, choose, start, cancel } = useImport();
  const samples = useSamples();
  const [form, setForm] = useState<StrategyForm>(DEFAULT_FORM);
  const [dragging, setDragging] = useState(false);
  const [chosen, setChosen] = useState<number[] | undefined>(undefined);
  const [sampleError, setSampleError] = useState<string>();
  const running = state.phase === 'running' || state.phase === 'reading' || state.phase === 'cancelling';

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) {
      setChosen(undefined);
      void choose(file);
    }
  };

  const images = state.archive?.images ?? [];
  const selected = chosen ?? images.flatMap((entry, i) => (entry.available ? [i] : []));

  return (
    <section>
      <div
        className={`drop-zone${dragging ? ' active' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>Drop an image archive here: <code>docker save</code> output or an OCI image-layout tar.</p>
        <input
          type="file"
          aria-label="Image archive"
          accept=".tar,application/x-tar"
          disabled={running}
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) {
              setChosen(undefined);
              void choose(file);
            }
          }}
        />
        <p className="muted">Nothing leaves this browser: layers are read, chunked and stored here.</p>
      </div>

      {samples.length > 0 && (
        <div className="card">
          <strong>Try a sample</strong>
          <ul>
            {samples.map((sample) => (
              <li key={sample.file}>
                <button
                  disabled={running}
                  onClick={() =>
                    fetchSample(sample).then(
                      (file) => {
                        setSampleError(undefined);
                        setChosen(undefined);
                        return choose(file);
                      },
                      (error: Error) => setSampleError(`Couldn't load the sample: ${error.message}`),
                    )
                  }
                >
                  {sample.title}
                </button>{' '}
                <span className="muted">{sample.description}</span>
              </li>
            ))}
          </ul>
          {sampleError && <p className="error">{sampleError}</p>}
        </div>
      )}

      {state.file && (
        <div className="card">
          <p>
            <strong>{state.file.name}</strong> <span className="muted">({formatBytes(state.file.size)})</span>
            {state.phase === 'reading' && <span className="muted"> · reading the archive index…</span>}
          </p>
          {state.archive && (
            <>
              <p className="muted">
                {state.archive.format === 'oci-layout' ? 'OCI image layout' : 'docker save archive'} with{' '}
                {images.length} image{images.length === 1 ? '' : 's'}
              </p>
              <ul aria-label="Images in the archive">
                {images.map((entry, i) => (
                  <li key={i}>
                    <label>
                      <input
                        type="checkbox"
                        disabled={!entry.available || running}
                        checked={selected.includes(i)}
                        onChange={(event) =>
                          setChosen(event.target.checked ? [...selected, i].sort() : selected.filter((s) => s !== i))
                        }
                      />{' '}
                      {entry.name}
                      {entry.platform && (
                        <span className="muted">
                          {' '}
                          {entry.platform.os}/{entry.platform.architecture}
                          {entry.platform.variant ? `/${entry.platform.variant}` : ''}
                        </span>
                      )}
                      {!entry.available && <span className="error"> unavailable: {entry.unavailableReason}</span>}
                    </label>
                  </li>
                ))}
              </ul>
              <StrategyControls form={form} onChange={setForm} disabled={running} />
              <div className="controls">
                <button
                  className="primary"
                  disabled={running || selected.length === 0}
                  onClick={() => void start({ strategy: strategyFromForm(form), filesystem: form.filesystem, images: selected })}
                >
                  Start
                </button>
                <button disabled={state.phase !== 'running'} onClick={cancel}>
                  Cancel
                </button>
              </div>
            </>
          )}
          <LayerProgressList
            layers={Object.values(state.layers).sort((a, b) => a.imageIndex - b.imageIndex || a.layerIndex - b.layerIndex)}
          />
          {state.phase === 'cancelling' && (
            <p className="muted" role="status">
              Cancelling: removing the chunks this import stored…
            </p>
          )}
          {state.phase === 'cancelled' && <p className="muted">Import cancelled; nothing of it was kept.</p>}
          {state.error && <p className="error" role="alert">{state.error}</p>}
        </div>
      )}

      {state.phase === 'done' && (
        <div className="card">
          <p className="ok">
            Imported {state.imported.length} image{state.imported.length === 1 ? '' : 's'}.{' '}
            <Link href="/library">Open the library</Link>
          </p>
          {state.imported.map((imported) => (
            <ImportSummary key={imported.imageIndex} imported={imported} />
          ))}
        </div>
      )}
    </section>
  );
}
