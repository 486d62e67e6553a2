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
      return `re-chunking from the store: ${formatBytes(task.bytesDone)} of ${formatBytes(task.bytesTotal)}`;
    case 'reused':
      return `stored earlier${task.seconds === undefined ? ', time not recorded' : `, indexed${took}`}`;
    case 'done':
      return `indexed${took}`;
  }
}

/** One progress bar per image and strategy of the run. */
export function CompareProgress({ tasks, images }: { tasks: CompareTask[]; images: StoredImage[] }) {
  if (tasks.length === 0) return null;
  const finished = tasks.filter((task) => task.state === 'done' || task.state === 'reused').length;
  return (
    <details className="card" open={finished < tasks.length}>
      <summary>
        Progress: {finished} of {tasks.length} image and strategy pairs ready
      </summary>
      <div aria-label="Comparison progress" className="compare-progress">
        {tasks.map((task, i) => {
          const label = `${images[task.image]?.name} × ${formatStrategy(task.strategy)}`;
          return (
            <div className="compare-progress-row" key={i}>
              <span>{label}</span>
              <progress aria-label={label} max={task.bytesTotal || 1} value={task.bytesDone} />
              <span className="muted">{taskStatus(task)}</span>
            </div>
          );
        })}
      </div>
    </details>
  );
}
