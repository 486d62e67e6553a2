import { LibraryView } from '../_components/library-view';

export default function LibraryPage() {
  return (
    <>
      <h1>Library</h1>
      <LibraryView />
    </>
  );
}
