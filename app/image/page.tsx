import { Suspense } from 'react';
import { ImageView } from '../_components/image-view';

export default function ImagePage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <ImageView />
    </Suspense>
  );
}
