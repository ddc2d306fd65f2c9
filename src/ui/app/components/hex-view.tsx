/** A hex dump: offset, 16 bytes in hex, and the printable ASCII of those bytes. */
export function HexView({ hex, truncated, total }: { hex: string; truncated: boolean; total: number }) {
  const lines: string[] = [];
  for (let offset = 0; offset * 2 < hex.length; offset += 16) {
    const chunk = hex.slice(offset * 2, offset * 2 + 32);
    const bytes = chunk.match(/../g) ?? [];
    const ascii = bytes
      .map((b) => {
        const code = Number.parseInt(b, 16);
        return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : '.';
      })
      .join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${bytes.join(' ').padEnd(47)}  ${ascii}`);
  }
  return (
    <div>
      <pre class="hex" data-testid="hex-view">
        {lines.join('\n')}
      </pre>
      {truncated ? (
        <p class="muted">
          First {hex.length / 2} of {total} bytes shown; download the value for all of it.
        </p>
      ) : null}
    </div>
  );
}
