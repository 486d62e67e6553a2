/** Series colours of the charts, one per image, chosen to stay apart for common colour blindness. */
export const IMAGE_COLORS = ['#1f6feb', '#e36209', '#2da44e', '#8250df', '#bf3989', '#6e7781'];

/** Returns the colour of the image at `position` in the comparison. */
export function imageColor(position: number): string {
  return IMAGE_COLORS[position % IMAGE_COLORS.length];
}

/**
 * Returns names short enough for table cells: the part after the last `/`
 * (`tiny-tools:latest` for `docker.io/library/tiny-tools:latest`), or the
 * whole name where two short forms would be equal.
 */
export function shortImageNames(names: readonly string[]): string[] {
  const short = names.map((name) => name.slice(name.lastIndexOf('/') + 1) || name);
  return short.map((name, i) => (short.indexOf(name) === short.lastIndexOf(name) ? name : names[i]));
}

/** Renders a swatch in the image's chart colour, for table cells. */
export function ImageSwatch({ position }: { position: number }) {
  return <span className="swatch" style={{ background: imageColor(position) }} aria-hidden="true" />;
}

/** Renders a row of colour swatches with the image names. */
export function ChartLegend({ names }: { names: string[] }) {
  return (
    <ul className="chart-legend" aria-label="Chart legend">
      {names.map((name, i) => (
        <li key={name}>
          <ImageSwatch position={i} /> {name}
        </li>
      ))}
    </ul>
  );
}
