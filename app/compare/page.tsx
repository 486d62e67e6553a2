import { CompareView } from '../_components/compare-view';

export default function ComparePage() {
  return (
    <>
      <h1>Compare strategies</h1>
      <CompareView />
    </>
  );
}
