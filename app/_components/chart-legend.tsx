/** Series colours of the charts, one per image, chosen to stay apart for common colour blindness. */
export const IMAGE_COLORS = ['#1f6feb', '#e36209', '#2da44e', '#8250df', '#bf3989', '#6e7781'];

/** Returns the colour of the image at `position` in the comparison. */
export function imageColor(position: number): string {
  return IMAGE_COLORS[position % IMAGE_COLORS.length];
}

/** A row of colour swatches with the image names. */
export function ChartLegend({ names }: { names: string[] }) {
  return (
    <ul className="chart-legend" aria-label="Chart legend">
      {names.map((name, i) => (
        <li key={name}>
          <span className="swatch" style={{ background: imageColor(i) }} aria-hidden="true" /> {name}
        </li>
      ))}
    </ul>
  );
}
