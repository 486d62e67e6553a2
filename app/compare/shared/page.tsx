import { CompareSharedView } from '../../_components/compare-shared-view';

export default function SharedComparisonPage() {
  return (
    <>
      <h1>Shared comparison</h1>
      <CompareSharedView />
    </>
  );
}
