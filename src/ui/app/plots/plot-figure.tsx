import { useEffect, useRef } from 'preact/hooks';
import { downloadPng, downloadSvg } from './export.ts';

/**
 * Mounts a plot built by `build` (Observable Plot returns a DOM element) and offers
 * its PNG and SVG download. The plot is rebuilt when `deps` change.
 */
export function PlotFigure({
  build,
  deps,
  filename,
  testId,
}: {
  build: () => Element | undefined;
  deps: readonly unknown[];
  filename: string;
  testId: string;
}) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = build();
    holder.current?.replaceChildren(...(element ? [element] : []));
    return () => holder.current?.replaceChildren();
  }, deps);
  const svg = () => holder.current?.querySelector<SVGSVGElement>('svg:not([class$="-swatch"])') ?? undefined;
  return (
    <div class="figure">
      <div ref={holder} data-testid={testId} />
      <div class="toolbar small">
        <button type="button" onClick={() => svg() && downloadPng(svg() as SVGSVGElement, filename)}>
          PNG
        </button>
        <button type="button" onClick={() => svg() && downloadSvg(svg() as SVGSVGElement, filename)}>
          SVG
        </button>
      </div>
    </div>
  );
}
