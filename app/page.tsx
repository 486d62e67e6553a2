import { ImportPanel } from './_components/import-panel';

export default function HomePage() {
  return (
    <>
      <h1>Import an image</h1>
      <ImportPanel />
    </>
  );
}
