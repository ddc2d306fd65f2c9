function save(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The plot's main SVG as a standalone document. */
function svgText(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(svg.clientWidth || svg.getAttribute('width')));
  copy.setAttribute('height', String(svg.clientHeight || svg.getAttribute('height')));
  return new XMLSerializer().serializeToString(copy);
}

/** Downloads the plot as SVG. */
export function downloadSvg(svg: SVGSVGElement, filename: string): void {
  save(new Blob([svgText(svg)], { type: 'image/svg+xml' }), `${filename}.svg`);
}

/** Downloads the plot as PNG at twice its size, on white. */
export async function downloadPng(svg: SVGSVGElement, filename: string): Promise<void> {
  const width = svg.clientWidth || Number(svg.getAttribute('width'));
  const height = svg.clientHeight || Number(svg.getAttribute('height'));
  const url = URL.createObjectURL(new Blob([svgText(svg)], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('The plot could not be drawn as an image'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = width * 2;
    canvas.height = height * 2;
    const context = canvas.getContext('2d') as CanvasRenderingContext2D;
    context.fillStyle = '#fff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.scale(2, 2);
    context.drawImage(image, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (blob) save(blob, `${filename}.png`);
  } finally {
    URL.revokeObjectURL(url);
  }
}
