'use client';
import { formatStrategy } from '#/lib/core/chunk/params';
import { formatBytes, formatDuration } from '#/lib/core/format';
import type { CompareTask, StoredImage } from '#/lib/browser/compare-session';

function taskStatus(task: CompareTask): string {
  const took = task.seconds === undefined ? '' : ` in ${formatDuration(task.seconds)}`;
  switch (task.state) {
    case 'waiting':
      return 'waiting';
    case 'running':
      return `re-chunking: ${formatBytes(task.bytesDone)} of ${formatBytes(task.bytesTotal)}`;
    case 'reused':
      return `stored earlier${task.seconds === undefined ? ', time not recorded' : `, indexed${took}`}`;
    case 'done':
      return `indexed${took}`;
  }
}

function TaskCell({ task, name }: { task: CompareTask; name: string }) {
  const label = `${name} × ${formatStrategy(task.strategy)}`;
  return (
    <td>
      <progress aria-label={label} max={task.bytesTotal || 1} value={task.bytesDone} />
      <div className="muted">{taskStatus(task)}</div>
    </td>
  );
}

/** Renders the progress of a run: one bar per strategy (rows) and image (columns). */
export function CompareProgress({ tasks, images }: { tasks: CompareTask[]; images: StoredImage[] }) {
  if (tasks.length === 0) return null;
  const finished = tasks.filter((task) => task.state === 'done' || task.state === 'reused').length;
  // Tasks come strategy by strategy, each with every image in order.
  const rows: CompareTask[][] = [];
  for (let at = 0; at < tasks.length; at += images.length) rows.push(tasks.slice(at, at + images.length));
  return (
    <details className="card" open={finished < tasks.length}>
      <summary>
        Progress: {finished} of {tasks.length} image and strategy pairs ready
      </summary>
      <div className="table-scroll">
        <table aria-label="Comparison progress" className="compare-progress">
          <thead>
            <tr>
              <th>Strategy</th>
              {images.map((image) => (
                <th key={image.manifestDigest}>{image.name}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={formatStrategy(row[0].strategy)}>
                <td className="nowrap">{formatStrategy(row[0].strategy)}</td>
                {row.map((task) => (
                  <TaskCell key={task.image} task={task} name={images[task.image]?.name ?? ''} />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
