'use client';
import type { PushTarget } from '#/lib/browser/push-session';
import type { PushFailure } from '../_hooks/use-push';

/** Next steps, by the code of the registry's or the route's error reply. */
const NEXT_STEP: Record<string, string> = {
  REGISTRY_NOT_ALLOWED:
    'This server forwards pushes only to the registries on its allowlist; no request was sent to that registry.',
  UNAUTHORIZED: 'Check the username and the password or token.',
  DENIED: 'The account may lack push access to this repository.',
  CONNECTION_FAILED: 'Check that the registry is running and reachable from the server.',
  INVALID_INPUT: 'Correct the value and push again.',
};

/** Shows a failed push: where it stopped, the error code and message, and what to try next. */
export function PushFailureNote({ failure, target }: { failure: PushFailure; target?: PushTarget }) {
  // Auth and allowlist refusals concern the whole push, not the blob that met them first.
  const wholePush = failure.status === 401 || failure.status === 403 || !failure.blobLabel;
  const what = wholePush ? '' : ` ${failure.blobLabel}`;
  const to = target ? ` to ${target.registry}/${target.repository}:${target.tag}` : '';
  const status = failure.status ? ` (HTTP ${failure.status})` : '';
  return (
    <div className="card" role="alert" data-testid="push-failure" data-code={failure.code} style={{ borderColor: 'var(--bad)' }}>
      <p className="error" style={{ margin: 0, fontWeight: 600 }}>
        Couldn&apos;t push{what}
        {to}.
      </p>
      <p style={{ margin: '8px 0 0' }}>
        <code>{failure.code}</code>
        {status}: <span className="mono">{failure.message}</span>
      </p>
      {NEXT_STEP[failure.code] && <p className="muted" style={{ margin: '8px 0 0' }}>{NEXT_STEP[failure.code]}</p>}
    </div>
  );
}
